import Foundation
import X509
#if canImport(Glibc)
import CoreFoundation  // Linux: Glibc structs (stat, dirent) are attributed to CoreFoundation's module
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Signs a model, whole flow, as the `sign` command does (DESIGN §3–§4): one walk of the folder, license
/// declarations read from it (refused when they disagree without a publisher's choice), every byte hashed once, the
/// manifest wrapped in an in-toto Statement, signed in a DSSE envelope and returned as a Sigstore bundle v0.3.
///
/// Writes nothing: the caller writes ``SignedModel/bundle`` where it wants (``AtomicFile/write(_:to:)``).
///
/// ```swift
/// let signer = ModelSigner(options: .init(format: .weightseal))
/// let signed = try await signer.sign(model: "path/to/model", key: try SigningKey.load(file: "release.key"))
/// try AtomicFile.write(try signed.bundle.jsonData(), to: "path/to/model/model.sig")
/// ```
public struct ModelSigner: Sendable {
    /// The signed payload's format.
    public enum Format: String, Sendable, CaseIterable {
        /// weightseal manifest v1: files, chunk digests, Merkle root, license record (`docs/formats/manifest-v1.md`).
        case weightseal
        /// OpenSSF Model Signing v1.0 (`docs/formats/oms.md`).
        case oms
    }

    /// What the signature records.
    public struct Options: Sendable {
        public var format: Format
        /// The algorithm of the file (and chunk) digests. OMS with BLAKE3 signs whole files (as the reference does).
        public var hashAlgorithm: HashAlgorithm
        /// weightseal: files larger than this list a digest per chunk of this many bytes.
        public var chunkSize: UInt64
        /// oms: sign shards of this many bytes (method `shards`) instead of whole files.
        public var shardSize: UInt64?
        /// Relative paths left out besides the defaults (exact paths; a folder covers all below it).
        public var ignorePaths: [String]
        /// `.withinRoot` covers symlinks that stay inside the folder; `.reject` refuses to sign a folder with one.
        public var symlinks: Reference.SymlinkRule
        /// Model name recorded (default: the folder's name).
        public var modelName: String?
        /// The publisher's SPDX expression, recorded as their choice when the declarations disagree.
        public var license: String?

        public init(format: Format = .weightseal, hashAlgorithm: HashAlgorithm = .sha256,
                    chunkSize: UInt64 = ModelManifest.defaultChunkSize, shardSize: UInt64? = nil, ignorePaths: [String] = [],
                    symlinks: Reference.SymlinkRule = .reject, modelName: String? = nil, license: String? = nil) {
            self.format = format
            self.hashAlgorithm = hashAlgorithm
            self.chunkSize = chunkSize
            self.shardSize = shardSize
            self.ignorePaths = ignorePaths
            self.symlinks = symlinks
            self.modelName = modelName
            self.license = license
        }
    }

    /// The Statement to sign and what it covers.
    public struct Statement: Sendable {
        /// The in-toto Statement's JSON bytes, signed verbatim.
        public var payload: [UInt8]
        /// The DSSE payload type, ``InTotoStatement/payloadType``.
        public var payloadType: String { "application/vnd.in-toto+json" }
        /// Files covered.
        public var files: Int
        /// Bytes covered (and hashed).
        public var bytes: UInt64
        /// The Merkle root (weightseal format).
        public var root: String?
        /// Warnings and notes for the publisher: portability of names, unreadable license metadata.
        public var warnings: [Finding]
    }

    /// A signed model: the bundle to write and what it covers.
    public struct SignedModel: Sendable {
        /// The signature file's content.
        public var bundle: SigstoreBundle
        /// Files covered.
        public var files: Int
        /// Bytes covered (and hashed).
        public var bytes: UInt64
        /// The Merkle root (weightseal format).
        public var root: String?
        /// Warnings and notes for the publisher: portability of names, unreadable license metadata.
        public var warnings: [Finding]

        public init(bundle: SigstoreBundle, statement: Statement) {
            self.bundle = bundle
            (files, bytes, root, warnings) = (statement.files, statement.bytes, statement.root, statement.warnings)
        }
    }

    public var options: Options
    public var hashing: HashingSettings

    public init(options: Options = .init(), hashing: HashingSettings = .init()) {
        self.options = options
        self.hashing = hashing
    }

    /// Signs `model` (a folder; with the OMS format also a single file): ``statement(model:signatureFile:progress:)``,
    /// then a DSSE envelope signed by `key` in a Sigstore bundle (``BundleSigner``).
    ///
    /// - Parameters:
    ///   - key: the private key, or another ``MessageSigner`` (a key in a token).
    ///   - certificateChain: the signing certificate first, then intermediates, to carry in the bundle; the key must
    ///     match the first.
    ///   - signatureFile: where the caller will write the bundle; when inside the folder it is left out.
    ///   - progress: hashing progress, about ten times a second.
    /// - Throws: ``WeightSealError``: `invalidPath` (a file that cannot be covered), `emptyModel`, `licenseConflict`,
    ///   `licenseAmbiguous`, `invalidArgument` (a key that does not match the certificate, a leaf that is expired, not
    ///   yet valid, a CA or not for code signing, an option out of range), `io`, `fileChanged`.
    public func sign(model: String, key: some MessageSigner, certificateChain: [Certificate]? = nil, signatureFile: String? = nil,
                     progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> SignedModel {
        if let first = certificateChain?.first {
            guard key.matches(certificate: first) else {
                throw WeightSealError(.invalidArgument, "the private key does not match the public key of the signing certificate")
            }
            // Before any hashing: never produce a signature that verification would reject for the leaf itself.
            try CertificateTrust.checkSigningCertificate(first)
        }
        let statement = try await statement(model: model, signatureFile: signatureFile, progress: progress)
        let bundle = try BundleSigner.sign(payload: statement.payload, payloadType: statement.payloadType,
                                           key: key, certificateChain: certificateChain)
        return SignedModel(bundle: bundle, statement: statement)
    }

    /// Hashes `model` (a folder; with the OMS format also a single file) into the Statement to sign: one walk of the
    /// folder, license declarations read from it (refused when they disagree without a publisher's choice), every byte
    /// hashed once. For signers that sign elsewhere (keyless).
    ///
    /// - Parameters:
    ///   - signatureFile: where the caller will write the bundle; when inside the folder it is left out.
    ///   - progress: hashing progress, about ten times a second.
    /// - Throws: ``WeightSealError``: `invalidPath`, `emptyModel`, `licenseConflict`, `licenseAmbiguous`,
    ///   `invalidArgument` (an option out of range), `io`, `fileChanged` (a file written, replaced or removed while
    ///   it was hashed).
    public func statement(model: String, signatureFile: String? = nil,
                          progress: (@Sendable (HashProgress) -> Void)? = nil) async throws(WeightSealError) -> Statement {
        if options.shardSize != nil && options.format != .oms {
            throw WeightSealError(.invalidArgument, "a shard size goes with the OMS format")
        }
        if options.shardSize != nil && options.hashAlgorithm != .sha256 {
            // The reference signs BLAKE3 as whole files only (its shard hashers are SHA-256 and BLAKE2b).
            throw WeightSealError(.invalidArgument, "OMS shards are SHA-256 (sha256-sharded-N); with BLAKE3, OMS signs whole files")
        }
        var builder = ManifestBuilder()
        builder.chunkSize = options.chunkSize
        builder.hashAlgorithm = options.hashAlgorithm
        builder.extraIgnorePaths = options.ignorePaths
        let out = signatureFile ?? (model as NSString).appendingPathComponent(ManifestBuilder.defaultSignatureFile)
        if let rel = ModelPath.relative(of: out, inside: model), rel != ManifestBuilder.defaultSignatureFile {
            builder.extraIgnorePaths.append(rel)
        }
        builder.symlinks = options.symlinks
        builder.jobs = hashing.jobs
        if let name = options.modelName { builder.model = .init(name: name) }

        let payload: [UInt8]
        let files: Int, bytes: UInt64, root: String?, warnings: [Finding]
        switch options.format {
        case .weightseal:
            // One walk serves the license declarations and the hashing.
            let listed = try builder.listFiles(root: model)
            try Self.checkSignatureSize(files: listed.files, pieceSize: options.chunkSize, option: "chunk size")
            let (record, notes) = try LicenseResolver.resolve(files: listed.files, publisherChoice: options.license)
            builder.license = record
            let (manifest, portability) = try await builder.build(root: model, listed: listed, progress: progress)
            payload = try manifest.statementJSON()
            (files, bytes, root, warnings) = (manifest.files.count, manifest.files.reduce(0) { $0 + $1.size }, manifest.root,
                                              notes + portability)
        case .oms:
            let oms = try await omsStatement(model: model, builder: builder, progress: progress)
            payload = oms.statement
            (files, bytes, root, warnings) = (oms.files, oms.bytes, nil, oms.warnings)
        }
        return Statement(payload: payload, files: files, bytes: bytes, root: root, warnings: warnings)
    }

    /// Hashes the folder (or single file) for an OMS v1.0 Statement: whole files, or shards.
    private func omsStatement(model: String, builder: ManifestBuilder,
                              progress: (@Sendable (HashProgress) -> Void)?) async throws(WeightSealError)
        -> (statement: [UInt8], files: Int, bytes: UInt64, warnings: [Finding]) {
        let shard = options.shardSize
        var st = stat()
        let isFile = stat(model, &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG
        let files: [WalkedFile]
        var warnings = [Finding]()
        if isFile {
            files = [WalkedFile(path: ".", fsPath: model, size: UInt64(st.st_size), viaSymlink: false, identity: FileIdentity(st))]
        } else {
            (files, warnings) = try builder.listFiles(root: model)
        }
        if let shard { try Self.checkSignatureSize(files: files, pieceSize: shard, option: "shard size") }
        let algorithm = options.hashAlgorithm
        let requests = files.map {
            HashRequest(path: $0.fsPath, size: $0.size, algorithm: algorithm, wholeFile: shard == nil, chunkSize: shard)
        }
        let results = await ChunkedHasher(jobs: hashing.jobs).hash(requests, progress: progress)
        let listed = files
        let changes = FileIdentity.changes(results: results) { listed[$0] }
        var hashed = [OMSFormat.HashedFile]()
        for (k, (f, r)) in zip(files, results).enumerated() {
            try ManifestBuilder.checkHashed(f, r, change: changes[k])
            hashed.append(OMSFormat.HashedFile(path: f.path, size: f.size, digest: r.whole(algorithm), algorithm: algorithm,
                                               shards: r.chunks))
        }
        // OMS verifiers apply their own defaults (.git, .gitignore, .gitattributes, .github): record the rest.
        let omsDefaults: Set<String> = [".git", ".gitignore", ".gitattributes", ".github"]
        let recorded = isFile ? [] : builder.ignorePaths.filter { !omsDefaults.contains($0) }
        let name = builder.model?.name ?? URL(fileURLWithPath: model).standardizedFileURL.lastPathComponent
        let statement = try OMSFormat.statement(files: hashed, shardSize: shard, modelName: name, ignorePaths: recorded,
                                                allowSymlinks: builder.symlinks == .withinRoot)
        return (statement, files.count, files.reduce(0) { $0 + $1.size }, warnings)
    }

    /// An upper estimate of the signature file's size, in bytes, for `files` cut in pieces of `pieceSize` bytes: every
    /// piece costs a digest line in the payload, and the payload is base64 in the bundle.
    static func estimatedSignatureBytes(files: [WalkedFile], pieceSize: UInt64) -> UInt64 {
        var payload: UInt64 = 64 << 10
        for f in files {
            let pieces = f.size > pieceSize ? (f.size + pieceSize - 1) / pieceSize : 0
            payload &+= 2 &* UInt64(f.path.utf8.count) &+ 300 &+ pieces &* (96 &+ UInt64(f.path.utf8.count))
        }
        return payload / 3 &* 4 &+ 4096
    }

    /// Refuses, before any byte is hashed, a signature that verification would refuse for its size
    /// (``Limits/maxJSONBytes``), naming the smallest piece size that fits.
    /// - Throws: ``WeightSealError/Code/invalidArgument``.
    static func checkSignatureSize(files: [WalkedFile], pieceSize: UInt64, option: String) throws(WeightSealError) {
        let limit = UInt64(Limits.maxJSONBytes)
        guard estimatedSignatureBytes(files: files, pieceSize: pieceSize) > limit else { return }
        var fits = max(UInt64(Limits.minChunkSize), pieceSize)
        while fits < UInt64(Limits.maxChunkSize), estimatedSignatureBytes(files: files, pieceSize: fits) > limit { fits *= 2 }
        throw WeightSealError(.invalidArgument,
            "a \(option) of \(pieceSize) bytes gives a signature of about \(estimatedSignatureBytes(files: files, pieceSize: pieceSize) >> 20) MiB, "
            + "more than verification reads (\(limit >> 20) MiB); the smallest \(option) that fits is \(fits) bytes")
    }
}
