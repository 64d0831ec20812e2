// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-a3c",
    products: [
        .executable(name: "a3c", targets: ["a3c"]),
        .library(name: "NeuralNet", targets: ["NeuralNet"]),
        .library(name: "Environments", targets: ["Environments"]),
        .library(name: "ActorCritic", targets: ["ActorCritic"]),
        .library(name: "RunArtifacts", targets: ["RunArtifacts"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.2.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // `swift package generate-documentation` (scripts/docs.sh); nothing links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // OpenBLAS and oneDNN's sgemm, from Debian (libopenblas-dev, libdnnl-dev).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),
        // Element-wise kernels over whole parameter buffers (optimizers, norms), AVX-512/AVX2 chosen at run time,
        // and bf16 matrix products through oneDNN's matmul (libdnnl-dev).
        .target(name: "CKernels", linkerSettings: [.linkedLibrary("dnnl")]),
        // Open MPI's calls for distributed training, loaded at run time (dlopen): no MPI needed to build or to train on one machine.
        .target(name: "CMPI", linkerSettings: [.linkedLibrary("dl")]),
        // Seedable, fast random numbers shared by the engine, the environments and the workers.
        .target(name: "Randomness"),
        // Neural-network engine: flat parameters, layers with hand-written backward passes, optimizers.
        .target(
            name: "NeuralNet",
            dependencies: ["CBLAS", "CKernels", "Randomness", .product(name: "Atomics", package: "swift-atomics")]),
        // Gymnasium-like environments: protocol, native classic control, wrappers, registry.
        .target(name: "Environments", dependencies: ["Randomness"]),
        // The algorithm: actor-critic model, rollouts, returns, workers, trainer.
        .target(
            name: "ActorCritic",
            dependencies: [
                "NeuralNet", "Environments", "Randomness", "CMPI",
                .product(name: "Atomics", package: "swift-atomics"),
            ]),
        // What a run leaves behind: config, metrics, TensorBoard events, safetensors checkpoints, media.
        .target(
            name: "RunArtifacts",
            dependencies: [
                "ActorCritic", "NeuralNet", "Environments",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
            ],
            exclude: ["Proto/tensorboard_event.proto"]),
        // The command-line tool.
        .executableTarget(
            name: "a3c",
            dependencies: [
                "ActorCritic", "NeuralNet", "Environments", "RunArtifacts",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Atomics", package: "swift-atomics"),
            ]),
        .testTarget(name: "NeuralNetTests", dependencies: ["NeuralNet", "CKernels"]),
        .testTarget(name: "EnvironmentsTests", dependencies: ["Environments"], resources: [.copy("Fixtures")]),
        .testTarget(name: "ActorCriticTests", dependencies: ["ActorCritic", "NeuralNet", "Environments"]),
        .testTarget(name: "RunArtifactsTests", dependencies: ["RunArtifacts", "ActorCritic", "NeuralNet"]),
        .testTarget(name: "CommandLineTests", dependencies: ["a3c", "ActorCritic", "RunArtifacts"]),
    ],
    swiftLanguageModes: [.v6]
)
