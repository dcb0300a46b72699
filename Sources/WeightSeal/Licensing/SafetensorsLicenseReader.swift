/// Reads the license entries of a safetensors file's `__metadata__` (safetensors format: 8-byte little-endian
/// header length N, then N bytes of JSON; `__metadata__` is a string→string map). Keys read: `license` and
/// `modelspec.license` (Stability's ModelSpec).
///
/// The header is parsed by the one safetensors parser (``SafetensorsFile``), so inspection and licensing read the
/// same bytes the same way: only the header is read, at most ``Limits/maxSafetensorsHeaderBytes`` and never past
/// the end of the file; tensor data is never touched.
public enum SafetensorsLicenseReader {
    /// The `__metadata__` keys that declare a license.
    public static let licenseKeys = ["license", "modelspec.license"]

    /// Reads the license keys from the file at `fsPath` (reported as model path `path`). Declarations use the
    /// field `__metadata__.<key>`. A key stated more than once (two `__metadata__` objects, or a repeated key) is an
    /// ambiguity, not a declaration; a key whose value is not a string is a problem.
    /// - Throws: ``WeightSealError/Code/unsupportedFormat`` for a header that is not a JSON object or is larger than
    ///   the file; ``WeightSealError/Code/limitExceeded`` for a header over the cap; ``WeightSealError/Code/io``.
    public static func read(fsPath: String, path: String) throws(WeightSealError) -> LicenseReadResult {
        let header: SafetensorsHeader
        do throws(FormatError) {
            header = try SafetensorsFile.parse(file: try BoundedFile(path: fsPath)).header
        } catch {
            throw error.weightSealError(path: path)
        }
        var result = LicenseReadResult()
        for key in licenseKeys {
            let field = "__metadata__." + key
            if let values = header.repeatedMetadata[key] {
                let reason = header.metadataObjectCount > 1
                    ? "the header has \(header.metadataObjectCount) __metadata__ objects" : "__metadata__ repeats the key"
                result.ambiguities.append(LicenseAmbiguity(path: path, field: field,
                                                           values: values.map { $0.map(ModelPath.quoted) ?? "(not a string)" }, reason: reason))
            } else if let value = header.metadata[key] {
                result.values.append(LicenseDeclaration(path: path, field: field, value: value))
            } else if let type = header.nonStringMetadata[key] {
                result.problems.append("\(field) holds a JSON \(type), not a string")
            }
        }
        return result
    }
}
