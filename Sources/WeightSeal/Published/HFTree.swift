import Foundation
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Hugging Face Hub's tree listing of a repository revision, as a verification reference (DESIGN §5, last
/// paragraph).
///
/// The listing is what `GET https://huggingface.co/api/models/{repo}/tree/{revision}?recursive=true` returns: a
/// JSON array of `{"type": "file"|"directory", "path", "size", "oid", "lfs"?: {"oid", "size", "pointerSize"},
/// "xetHash"?}`. The Hub pages long listings (an HTTP `Link: <…>; rel="next"` header); the pages' arrays must be
/// joined into one array first (`jq -s add page*.json`).
///
/// Each file becomes an ``ExpectedFile``:
/// - an LFS file (with `lfs`) is checked by size (`lfs.size`) and SHA-256 (`lfs.oid`, 64 hex digits);
/// - any other file by size (`size`) and git blob SHA-1 (`oid`, 40 hex digits:
///   `SHA-1("blob " + decimal size + "\0" + content)`).
///
/// Directories are skipped. `xetHash` (the Xet storage's own Merkle hash) is not used: the LFS SHA-256 the Hub
/// keeps for every large file already names the content. Paths follow ``ModelPath``'s rules.
public enum HFTree {
    /// Parses a tree listing into an unsigned ``Reference`` of kind ``Reference/Kind/huggingFaceTree``.
    /// - Parameters:
    ///   - data: the JSON bytes, at most ``Limits/maxJSONBytes``.
    ///   - label: the listing's name (its file path), used in errors and as the reference's label.
    /// - Throws: ``WeightSealError/Code/malformedReference`` naming the label (and the entry's index and path) when
    ///   the JSON is not an array of entries, an entry lacks a field or has a digest of the wrong form, a path is
    ///   listed twice, an entry has an unknown `type`, or the listing has no file;
    ///   ``WeightSealError/Code/invalidPath`` for a path that breaks the path rules;
    ///   ``WeightSealError/Code/limitExceeded`` when the listing is too large or lists more than ``Limits/maxFiles``.
    public static func parse(_ data: [UInt8], label: String) throws(WeightSealError) -> Reference {
        guard data.count <= Limits.maxJSONBytes else {
            throw WeightSealError(.limitExceeded, "tree listing \(label) is \(data.count) bytes; the limit is \(Limits.maxJSONBytes)")
        }
        let json: StrictJSON
        do {
            json = try StrictJSON.parse(data, maxValues: Limits.maxJSONValues(forBytes: data.count))
        } catch {
            throw WeightSealError(error.reason == .limit ? .limitExceeded : .malformedReference,
                                  "tree listing \(label) is not valid JSON: \(error.message)")
        }
        guard case .array(let items) = json else {
            throw WeightSealError(.malformedReference,
                "tree listing \(label) is not a Hub tree listing (a JSON array of {type, path, size, oid, lfs?}): it is a JSON \(json.typeName)")
        }
        var entries = [Entry]()
        entries.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            entries.append(try Entry(item, at: "tree listing \(label) entry \(index)"))
        }
        guard entries.count <= Limits.maxFiles else {
            throw WeightSealError(.limitExceeded, "tree listing \(label) lists more than \(Limits.maxFiles) entries")
        }
        var files = [ExpectedFile]()
        var seen = Set<[UInt8]>()
        for (index, e) in entries.enumerated() {
            let at = "tree listing \(label) entry \(index) (\(ModelPath.quoted(e.path)))"
            switch e.type {
            case "directory":
                continue
            case "file":
                break
            default:
                throw WeightSealError(.malformedReference, "\(at): unknown type \(ModelPath.quoted(e.type))")
            }
            if let problem = ModelPath.problem(e.path) {
                throw WeightSealError(.invalidPath, "\(at): invalid path: \(problem)")
            }
            guard seen.insert(Array(e.path.utf8)).inserted else {
                throw WeightSealError(.malformedReference, "\(at): path listed twice")
            }
            if let lfs = e.lfs {
                guard isHex(lfs.oid, count: 64), let digest = [UInt8](hexString: lfs.oid) else {
                    throw WeightSealError(.malformedReference, "\(at): lfs.oid is not a SHA-256 (64 hex digits)")
                }
                files.append(ExpectedFile(path: e.path, size: lfs.size, check: .sha256(digest)))
            } else {
                guard let oid = e.oid, isHex(oid, count: 40), let digest = [UInt8](hexString: oid) else {
                    throw WeightSealError(.malformedReference, "\(at): oid is not a git blob SHA-1 (40 hex digits)")
                }
                guard let size = e.size else {
                    throw WeightSealError(.malformedReference, "\(at): a file without size")
                }
                files.append(ExpectedFile(path: e.path, size: size, check: .gitBlobSHA1(digest)))
            }
        }
        guard !files.isEmpty else {
            throw WeightSealError(.malformedReference, "tree listing \(label) lists no file: nothing would be verified")
        }
        return Reference(kind: .huggingFaceTree, isSigned: false, files: files, ignorePaths: [],
                         symlinks: .reject, label: label)
    }

    /// Reads and parses a tree listing file.
    /// - Throws: as ``parse(_:label:)``; ``WeightSealError/Code/io`` when the file cannot be read.
    public static func load(file path: String) throws(WeightSealError) -> Reference {
        let data = try AtomicFile.read(path, limit: Limits.maxJSONBytes, what: "tree listing")
        return try parse(data, label: path)
    }

    struct Entry {
        var type: String
        var path: String
        var size: UInt64?
        var oid: String?
        var lfs: LFS?

        /// Reads one entry; a member of the wrong type is an error naming it (`size` a non-negative integer).
        init(_ json: StrictJSON, at: String) throws(WeightSealError) {
            guard json.objectMembers != nil else { throw WeightSealError(.malformedReference, "\(at) is not an object") }
            func string(_ key: String, in object: StrictJSON) throws(WeightSealError) -> String? {
                guard let v = object[key] else { return nil }
                guard let s = v.stringValue else { throw WeightSealError(.malformedReference, "\(at): \(key) is not a string") }
                return s
            }
            func integer(_ key: String, in object: StrictJSON) throws(WeightSealError) -> UInt64? {
                guard let v = object[key] else { return nil }
                guard let n = v.unsignedInteger else {
                    throw WeightSealError(.malformedReference, "\(at): \(key) is not a non-negative integer")
                }
                return n
            }
            guard let type = try string("type", in: json) else { throw WeightSealError(.malformedReference, "\(at): missing type") }
            guard let path = try string("path", in: json) else { throw WeightSealError(.malformedReference, "\(at): missing path") }
            self.type = type
            self.path = path
            size = try integer("size", in: json)
            oid = try string("oid", in: json)
            if let l = json["lfs"] {
                guard let oid = try string("oid", in: l) else { throw WeightSealError(.malformedReference, "\(at): missing lfs.oid") }
                guard let size = try integer("size", in: l) else { throw WeightSealError(.malformedReference, "\(at): missing lfs.size") }
                lfs = LFS(oid: oid, size: size)
            }
        }
    }

    struct LFS {
        var oid: String
        var size: UInt64
    }
}
