// Errors of the cookbook, each with a message naming the recipe or file concerned.
import Pkgar

/// Everything that stops a recipe or a command.
public enum CookbookError: Error, CustomStringConvertible, Sendable {
    case invalidRecipe(path: String, reason: String)
    case invalidPackageName(String, reason: String)
    case recipeNotFound(String)
    case unsupportedTemplate(template: String, target: String)
    case recursionLimit(chain: [String])
    case fetchFailed(recipe: String, reason: String)
    case buildFailed(recipe: String, log: String, status: Int32)
    case dependencyFailed(recipe: String, dependency: String)
    case command(String, status: Int32, output: String)
    case invalidConfig(path: String, reason: String)
    case package(PkgarError)
    case io(String)

    public var description: String {
        switch self {
        case let .invalidRecipe(path, reason): return "\(path): \(reason)"
        case let .invalidPackageName(name, reason): return "invalid package name \"\(name)\": \(reason)"
        case let .recipeNotFound(name): return "recipe \"\(name)\" not found under recipes/"
        case let .unsupportedTemplate(template, target): return "template \(template) is not supported for target \(target)"
        case let .recursionLimit(chain): return "Recursion limit: \(chain.joined(separator: " -> "))"
        case let .fetchFailed(recipe, reason): return "fetch \(recipe): \(reason)"
        case let .buildFailed(recipe, log, status): return "build of \(recipe) failed (exit status \(status)); log: \(log)"
        case let .dependencyFailed(recipe, dependency): return "\(recipe) not built: its dependency \(dependency) failed"
        case let .command(command, status, output):
            return "\(command) failed (exit status \(status))" + (output.isEmpty ? "" : ": \(output)")
        case let .invalidConfig(path, reason): return "\(path): \(reason)"
        case let .package(error): return error.description
        case let .io(message): return message
        }
    }
}

extension CookbookError {
    /// Runs `body`, turning pkgar errors into cookbook errors.
    static func wrap<T>(_ body: () throws(PkgarError) -> T) throws(CookbookError) -> T {
        do { return try body() } catch { throw .package(error) }
    }
}
