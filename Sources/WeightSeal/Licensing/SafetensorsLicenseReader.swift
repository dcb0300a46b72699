import Foundation

/// Reads the license entries of a safetensors file's `__metadata__` (safetensors format: 8-byte little-endian
/// header length N, then N bytes of JSON; `__metadata__` is a string→string map). Keys read: `license` and
/// `modelspec.license` (Stability's ModelSpec). Only the header is read, at most
/// ``Limits/maxSafetensorsHeaderBytes`` and never past the end of the file; tensor data is never touched.
public enum SafetensorsLicenseReader {
    /// The `__metadata__` keys that declare a license.
    public static let licenseKeys = ["license", "modelspec.license"]

    /// Reads the license keys from the file at `fsPath` (reported as model path `path`). Declarations use the
    /// field `__metadata__.<key>`.
    /// - Throws: ``WeightSealError/Code/malformedReference`` for a header that is not JSON or is larger than the
    ///   file; ``WeightSealError/Code/limitExceeded`` for a header over the cap; ``WeightSealError/Code/io``.
    public static func read(fsPath: String, path: String) throws(WeightSealError) -> [LicenseDeclaration] {
        let r = try BoundedFileReader(fsPath: fsPath, label: path)
        let length = try r.readUInt64(what: "the safetensors header length")
        guard length <= UInt64(Limits.maxSafetensorsHeaderBytes) else {
            throw WeightSealError(.limitExceeded, "\(ModelPath.quoted(path)): safetensors header length \(length) exceeds \(Limits.maxSafetensorsHeaderBytes) bytes")
        }
        guard length <= r.remaining else {
            throw WeightSealError(.malformedReference, "\(ModelPath.quoted(path)): safetensors header length \(length) is larger than the file")
        }
        let header = try r.read(Int(length), what: "the safetensors header")
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: Data(header))
        } catch {
            throw WeightSealError(.malformedReference, "\(ModelPath.quoted(path)): safetensors header is not JSON", cause: error)
        }
        guard let top = object as? [String: Any] else {
            throw WeightSealError(.malformedReference, "\(ModelPath.quoted(path)): safetensors header is not a JSON object")
        }
        guard let metadata = top["__metadata__"] as? [String: Any] else { return [] }
        var out: [LicenseDeclaration] = []
        for key in licenseKeys {
            if let value = metadata[key] as? String {
                out.append(LicenseDeclaration(path: path, field: "__metadata__." + key, value: value))
            }
        }
        return out
    }
}
