// PLACEHOLDER: replaced by Licensing/LicenseDeclaration.swift when the licensing work merges.

/// One license declaration read from a file of the model.
public struct LicenseDeclaration: Codable, Sendable, Hashable {
    public var path: String
    public var field: String
    public var value: String
    public init(path: String, field: String, value: String) { self.path = path; self.field = field; self.value = value }
}

/// The license block of a manifest.
public struct LicenseRecord: Codable, Sendable, Hashable {
    public var expression: String?
    public var declarations: [LicenseDeclaration]
    public var files: [String]
    public var chosenBy: String?
}
