// Build templates (cookbook.md §2.2) and the script each one generates.
import Foundation
import Pkgar

/// How a recipe is built.
public enum Template: Equatable, Sendable {
    /// Nothing to build: a meta-package.
    case none
    /// A prebuilt package from the binary repository (needs the network: refused here).
    case remote
    /// The recipe's own bash script, verbatim.
    case custom(script: String)
    /// Our Embedded Swift template (see `SwiftTemplate`).
    case swift(SwiftTemplate)
    /// `cargo install` of the source.
    case cargo(path: String, flags: [String], packages: [String], examples: [String])
    /// autotools `configure && make && make install`.
    case configure(flags: [String])
    /// CMake with Ninja.
    case cmake(flags: [String])
    /// Meson with Ninja.
    case meson(flags: [String])
    /// `pip install` of the source.
    case python(pyprojectPath: String?, flags: [String])

    /// The template's name as written in recipe.toml.
    public var name: String {
        switch self {
        case .none: return "none"
        case .remote: return "remote"
        case .custom: return "custom"
        case .swift: return "swift"
        case .cargo: return "cargo"
        case .configure: return "configure"
        case .cmake: return "cmake"
        case .meson: return "meson"
        case .python: return "python"
        }
    }

    static func parse(_ build: TOMLDocument?, path: String) throws -> Template {
        guard let build else { return .none }
        let name = try build.string("template") ?? "none"
        switch name {
        case "none": return .none
        case "remote": return .remote
        case "custom":
            guard let script = try build.string("script") else {
                throw PkgarError.invalidDocument(path: path, reason: "template custom needs a script")
            }
            return .custom(script: script)
        case "swift":
            return .swift(SwiftTemplate(
                sourcePath: try build.string("swiftpath") ?? ".", module: try build.string("module"),
                flags: try build.strings("swiftflags") ?? [], linkFlags: try build.strings("linkflags") ?? [],
                install: try build.string("install")))
        case "cargo":
            return .cargo(
                path: try build.string("cargopath") ?? ".", flags: try build.strings("cargoflags") ?? [],
                packages: try build.strings("cargopackages") ?? [], examples: try build.strings("cargoexamples") ?? [])
        case "configure": return .configure(flags: try build.strings("configureflags") ?? [])
        case "cmake": return .cmake(flags: try build.strings("cmakeflags") ?? [])
        case "meson": return .meson(flags: try build.strings("mesonflags") ?? [])
        case "python":
            return .python(pyprojectPath: try build.string("pyprojectpath"), flags: try build.strings("pipflags") ?? [])
        default:
            throw PkgarError.invalidDocument(path: path, reason: "unknown template \"\(name)\"")
        }
    }

    /// The script for a build for `target` (host builds when `isHost`), or the reason it cannot run.
    func script(recipe: String, target: String, isHost: Bool) throws(CookbookError) -> String {
        switch self {
        case .none: return ""
        case .remote:
            throw .unsupportedTemplate(template: "remote", target: target + " (binary packages need the network)")
        case let .custom(script): return script
        case let .swift(swift): return swift.script(recipe: recipe, isHost: isHost)
        case let .cargo(path, flags, packages, examples):
            guard isHost else { throw .unsupportedTemplate(template: name, target: target) }
            var lines = ["COOKBOOK_CARGO_PATH=\(Template.quote(path))"]
            if !flags.isEmpty { lines.append("COOKBOOK_CARGO_FLAGS+=(\(flags.map(Template.quote).joined(separator: " ")))") }
            if packages.isEmpty && examples.isEmpty { lines.append("cookbook_cargo") }
            if !packages.isEmpty { lines.append("cookbook_cargo_packages " + packages.map(Template.quote).joined(separator: " ")) }
            if !examples.isEmpty { lines.append("cookbook_cargo_examples " + examples.map(Template.quote).joined(separator: " ")) }
            return lines.joined(separator: "\n")
        case let .configure(flags):
            guard isHost else { throw .unsupportedTemplate(template: name, target: target) }
            return Template.append("COOKBOOK_CONFIGURE_FLAGS", flags) + "cookbook_configure"
        case let .cmake(flags):
            guard isHost else { throw .unsupportedTemplate(template: name, target: target) }
            return Template.append("COOKBOOK_CMAKE_FLAGS", flags) + "cookbook_cmake"
        case let .meson(flags):
            guard isHost else { throw .unsupportedTemplate(template: name, target: target) }
            return Template.append("COOKBOOK_MESON_FLAGS", flags) + "cookbook_meson"
        case let .python(pyprojectPath, flags):
            guard isHost else { throw .unsupportedTemplate(template: name, target: target) }
            var script = pyprojectPath.map { "COOKBOOK_PYTHON_PYPROJECT_PATH=\(Template.quote($0))\n" } ?? ""
            script += Template.append("COOKBOOK_PYTHON_PIP_FLAGS", flags) + "cookbook_python"
            return script
        }
    }

    /// A bash array append with each flag double-quoted (variables still expand), as upstream.
    static func append(_ array: String, _ flags: [String]) -> String {
        flags.isEmpty ? "" : "\(array)+=(\(flags.map(quote).joined(separator: " ")))\n"
    }

    /// Double-quotes for bash, escaping only `"` and `\` so `$VARIABLES` still expand.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// The `swift` template (ours): one Swift module from the `*.swift` files under `swiftpath`.
///
/// Target builds compile it as Embedded Swift for bare x86_64 ELF (the project's embedded flags)
/// into `build/<module>.o`; with `linkflags` the object is linked by `ld.lld` (flags expanded by
/// bash, so `$COOKBOOK_SYSROOT/usr/lib/...` works) and installed at `install` (default
/// `usr/bin/<recipe>`); without, the object itself is installed at `install` (default
/// `usr/lib/<module>.o`). Host builds (`host:` recipes) compile an ordinary executable into
/// `install` (default `usr/bin/<recipe>`). `swiftflags` are appended to the compiler's flags.
public struct SwiftTemplate: Equatable, Sendable {
    public let sourcePath: String
    public let module: String?
    public let flags: [String]
    public let linkFlags: [String]
    public let install: String?

    func script(recipe: String, isHost: Bool) -> String {
        let module = self.module ?? recipe.replacingOccurrences(of: "-", with: "_")
        var lines = [
            "COOKBOOK_SWIFT_MODULE=\(Template.quote(module))",
            "COOKBOOK_SWIFT_PATH=\(Template.quote(sourcePath))",
        ]
        lines.append(Template.append("COOKBOOK_SWIFT_FLAGS", flags).trimmingCharacters(in: .newlines))
        lines.append(Template.append("COOKBOOK_SWIFT_LINK_FLAGS", linkFlags).trimmingCharacters(in: .newlines))
        if isHost {
            lines.append("cookbook_swift_host \(Template.quote(install ?? "usr/bin/\(recipe)"))")
        } else if linkFlags.isEmpty {
            lines.append("cookbook_swift_embedded \(Template.quote(install ?? "usr/lib/\(module).o"))")
        } else {
            lines.append("cookbook_swift_embedded \(Template.quote(install ?? "usr/bin/\(recipe)"))")
        }
        return lines.filter { !$0.isEmpty }.joined(separator: "\n")
    }
}
