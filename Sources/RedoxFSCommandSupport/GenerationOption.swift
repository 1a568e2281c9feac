import ArgumentParser

/// `--generation N`: for the tools that read an image, an older generation of its header ring.
public struct GenerationOption: ParsableArguments {
    @Option(
        name: .long,
        help: "Read this older generation of the header ring, as it was (see redoxfs-fsck's ring listing).")
    public var generation: UInt64?

    public init() {}
}
