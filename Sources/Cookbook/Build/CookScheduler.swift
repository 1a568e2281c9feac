// Running the units of a plan: each starts once its build dependencies are done, up to `jobs`
// at once; a failed unit fails its dependents without running them.
import Foundation

/// Cooks a plan in parallel and reports each unit as it ends.
final class CookScheduler: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [BuildUnit: CookResult] = [:]

    /// Cooks every unit of `plan`; `report` is called (serialised) as each one ends.
    func run(
        plan: DependencyPlan, jobs: Int, stopOnFailure: Bool,
        cook: @escaping @Sendable (BuildUnit, [CookResult]) -> CookResult,
        report: @escaping @Sendable (CookResult, Int, Int) -> Void
    ) -> [BuildUnit: CookResult] {
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, jobs)
        var operations: [BuildUnit: BlockOperation] = [:]
        let total = plan.order.count
        for unit in plan.order {
            let needs = plan.buildDependencies[unit] ?? []
            let operation = BlockOperation { [unowned self] in
                let done: [CookResult] = self.lock.withLock { needs.compactMap { self.results[$0] } }
                let result: CookResult
                if let failed = done.first(where: { $0.status == .failed }) {
                    result = CookResult(unit: unit, status: .failed, packageHashes: [:], key: "",
                                        error: .dependencyFailed(recipe: unit.description, dependency: failed.unit.description))
                } else if stopOnFailure, self.lock.withLock({ self.results.values.contains { $0.status == .failed } }) {
                    result = CookResult(unit: unit, status: .failed, packageHashes: [:], key: "", error: .io("\(unit): not built after an earlier failure"))
                } else {
                    result = cook(unit, done)
                }
                self.lock.withLock {
                    self.results[unit] = result
                    report(result, self.results.count, total)
                }
            }
            for need in needs { if let dependency = operations[need] { operation.addDependency(dependency) } }
            operations[unit] = operation
        }
        queue.addOperations(plan.order.compactMap { operations[$0] }, waitUntilFinished: true)
        return lock.withLock { results }
    }
}
