/// One entry of a zip central directory (PKWARE APPNOTE 6.3.10 §4.3.12, ZIP64 §4.3.14 and §4.5.3).
struct ZipEntry: Sendable, Hashable {
    var name: String
    /// 0 stored, 8 deflated, ...
    var method: UInt16
    var flags: UInt16
    var compressedSize: UInt64
    var uncompressedSize: UInt64
    var localHeaderOffset: UInt64
}

/// A bounded zip central-directory reader: finds the end record in the last 64 KiB, reads at most
/// ``Limits/maxZipEntries`` entries and ``Limits/maxZipDirectoryBytes`` bytes. Never decompresses.
enum ZipDirectory {
    static func looksLikeZip(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 4 && prefix[0] == 0x50 && prefix[1] == 0x4B && (prefix[2] == 3 && prefix[3] == 4 || prefix[2] == 5 && prefix[3] == 6)
    }

    static func read(_ file: BoundedFile) throws(FormatError) -> [ZipEntry] {
        let tailLength = Int(min(file.size, 22 + 65_535))
        let tailStart = file.size - UInt64(tailLength)
        let tail = try file.read(at: tailStart, count: tailLength)
        guard tail.count >= 22 else { throw .invalid("zip: too short for an end-of-central-directory record") }
        var eocd: Int?
        var i = tail.count - 22
        while i >= 0 {
            if tail[i] == 0x50, tail[i + 1] == 0x4B, tail[i + 2] == 5, tail[i + 3] == 6 { eocd = i; break }
            i -= 1
        }
        guard let e = eocd else { throw .invalid("zip: no end-of-central-directory record") }
        func u(_ at: Int, _ w: Int) -> UInt64 { littleEndian(tail[at..<(at + w)]) }
        var count = u(e + 10, 2)
        var cdSize = u(e + 12, 4)
        var cdOffset = u(e + 16, 4)
        if count == 0xFFFF || cdSize == 0xFFFF_FFFF || cdOffset == 0xFFFF_FFFF {
            // ZIP64 end-of-central-directory locator, 20 bytes before the end record.
            let locatorAt = tailStart + UInt64(e)
            guard locatorAt >= 20 else { throw .invalid("zip: ZIP64 locator missing") }
            let loc = try file.readExactly(at: locatorAt - 20, count: 20, what: "the ZIP64 locator")
            guard littleEndian(loc[0..<4]) == 0x0706_4B50 else { throw .invalid("zip: ZIP64 locator missing") }
            let recordAt = littleEndian(loc[8..<16])
            let rec = try file.readExactly(at: recordAt, count: 56, what: "the ZIP64 end record")
            guard littleEndian(rec[0..<4]) == 0x0606_4B50 else { throw .invalid("zip: bad ZIP64 end record") }
            count = littleEndian(rec[32..<40])
            cdSize = littleEndian(rec[40..<48])
            cdOffset = littleEndian(rec[48..<56])
        }
        if count > UInt64(Limits.maxZipEntries) { throw .limit("zip: \(count) entries exceed the limit of \(Limits.maxZipEntries)") }
        if cdSize > UInt64(Limits.maxZipDirectoryBytes) { throw .limit("zip: central directory of \(cdSize) bytes exceeds the limit") }
        guard let cdEnd = checkedAdd(cdOffset, cdSize), cdEnd <= file.size else { throw .invalid("zip: central directory lies outside the file") }
        let cd = try file.readExactly(at: cdOffset, count: Int(cdSize), what: "the zip central directory")
        var entries: [ZipEntry] = []
        var p = 0
        func v(_ at: Int, _ w: Int) -> UInt64 { littleEndian(cd[at..<(at + w)]) }
        for _ in 0..<count {
            guard cd.count - p >= 46, v(p, 4) == 0x0201_4B50 else { throw .invalid("zip: bad central directory entry") }
            let nameLength = Int(v(p + 28, 2)), extraLength = Int(v(p + 30, 2)), commentLength = Int(v(p + 32, 2))
            guard cd.count - p - 46 >= nameLength + extraLength + commentLength else { throw .invalid("zip: central directory entry overruns") }
            var entry = ZipEntry(name: String(decoding: cd[(p + 46)..<(p + 46 + nameLength)], as: UTF8.self),
                                 method: UInt16(v(p + 10, 2)), flags: UInt16(v(p + 8, 2)),
                                 compressedSize: v(p + 20, 4), uncompressedSize: v(p + 24, 4),
                                 localHeaderOffset: v(p + 42, 4))
            // ZIP64 extended information extra field (id 0x0001): present fields in fixed order.
            var x = p + 46 + nameLength
            let extraEnd = x + extraLength
            while extraEnd - x >= 4 {
                let id = v(x, 2), size = Int(v(x + 2, 2))
                guard extraEnd - x - 4 >= size else { break }
                if id == 1 {
                    var f = x + 4
                    let fEnd = f + size
                    if entry.uncompressedSize == 0xFFFF_FFFF, fEnd - f >= 8 { entry.uncompressedSize = v(f, 8); f += 8 }
                    if entry.compressedSize == 0xFFFF_FFFF, fEnd - f >= 8 { entry.compressedSize = v(f, 8); f += 8 }
                    if entry.localHeaderOffset == 0xFFFF_FFFF, fEnd - f >= 8 { entry.localHeaderOffset = v(f, 8) }
                }
                x += 4 + size
            }
            entries.append(entry)
            p += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    /// The absolute offset of an entry's data, after its local header; checks the data lies inside the file.
    static func dataRange(of entry: ZipEntry, in file: BoundedFile) throws(FormatError) -> Range<UInt64> {
        let h = try file.readExactly(at: entry.localHeaderOffset, count: 30, what: "a zip local header")
        guard littleEndian(h[0..<4]) == 0x0403_4B50 else { throw .invalid("zip: bad local header for \(ModelPath.quoted(entry.name))") }
        let start = entry.localHeaderOffset &+ 30 &+ littleEndian(h[26..<28]) &+ littleEndian(h[28..<30])
        guard let end = checkedAdd(start, entry.compressedSize), end <= file.size else {
            throw .invalid("zip: entry \(ModelPath.quoted(entry.name)) lies outside the file")
        }
        return start..<end
    }
}
