// swift-tools-version:6.0
// An environment of your own, written in Swift, trained with swift-a3c as a library.
import PackageDescription

let package = Package(
    name: "Corridor",
    dependencies: [.package(name: "swift-a3c", path: "../..")],
    targets: [
        .executableTarget(
            name: "Corridor",
            dependencies: [
                .product(name: "ActorCritic", package: "swift-a3c"),
                .product(name: "Environments", package: "swift-a3c"),
            ])
    ],
    swiftLanguageModes: [.v6]
)
