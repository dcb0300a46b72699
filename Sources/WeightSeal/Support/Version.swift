/// The version of this build of weightseal, recorded in manifests as `tool.version`.
public enum WeightSealVersion {
    public static let current = "0.1.0"
}
