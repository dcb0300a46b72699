import WeightSeal

extension TUFCache {
    /// The trusted metadata and targets the cache holds, by name: what a refused update must leave as it was.
    public func storedFiles() -> [String: [UInt8]] {
        var out = [String: [UInt8]]()
        for name in ["root.json", "timestamp.json", "snapshot.json", "targets.json", "targets/trusted_root.json",
                     "targets/signing_config.v0.2.json"] {
            out[name] = read(name, limit: 1 << 24)
        }
        return out
    }
}
