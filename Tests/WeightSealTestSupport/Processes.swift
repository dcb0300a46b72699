import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a loopback port could not be had.
public struct PortError: Error, CustomStringConvertible {
    public var description: String
}

/// A free TCP port on 127.0.0.1 (bound to 0, read back, closed).
public func freePort() throws -> Int {
    let (fd, port) = try boundPort()
    close(fd)
    return port
}

/// A TCP port on 127.0.0.1 that refuses connections: bound, never listening, held until `fd` is closed, so no other
/// test's server can take it meanwhile.
public func boundPort() throws -> (fd: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw PortError(description: "socket failed") }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = 0
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let ok = withUnsafeMutablePointer(to: &addr) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { sp in
            bind(fd, sp, len) == 0 && getsockname(fd, sp, &len) == 0
        }
    }
    guard ok else {
        close(fd)
        throw PortError(description: "bind failed")
    }
    return (fd, Int(UInt16(bigEndian: addr.sin_port)))
}

/// Polls until something accepts TCP connections on `port`.
public func waitForPort(_ port: Int, seconds: Double = 10) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        close(fd)
        if r == 0 { return true }
        usleep(20_000)
    }
    return false
}

/// Ends a server with SIGKILL (a child may inherit a blocked SIGTERM from the test runner) and reaps it.
public func killAndWait(_ p: Process) {
    guard p.isRunning else { return }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
}

