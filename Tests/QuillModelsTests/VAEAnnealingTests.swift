@testable import QuillModels
import QuillTensor
import Testing
import TestSupport

/// KL annealing schedules and the free-bits objective.
@Suite struct VAEAnnealingTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let annealing: KLAnnealing
        /// (step, expected weight)
        let expected: [(Int, Double)]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "none", annealing: KLAnnealing(schedule: .none, steps: 100), expected: [(0, 1), (50, 1), (1000, 1)]),
        Case(name: "linear from 0", annealing: KLAnnealing(schedule: .linear, steps: 100),
             expected: [(0, 0), (25, 0.25), (50, 0.5), (100, 1), (250, 1)]),
        Case(name: "linear from 0.1", annealing: KLAnnealing(schedule: .linear, steps: 100, start: 0.1),
             expected: [(0, 0.1), (50, 0.55), (100, 1)]),
        Case(name: "logistic", annealing: KLAnnealing(schedule: .logistic, steps: 100),
             expected: [(0, 0.006692850924), (50, 0.5), (100, 0.993307149), (10_000, 1)]),
        Case(name: "cyclical, 2 cycles of 100, R = 0.5", annealing: KLAnnealing(schedule: .cyclical, steps: 100, cycles: 2),
             expected: [(0, 0), (25, 0.5), (50, 1), (99, 1), (100, 0), (125, 0.5), (150, 1), (200, 1), (260, 1)]),
        Case(name: "cyclical, R = 0.25", annealing: KLAnnealing(schedule: .cyclical, steps: 40, cycles: 3, ratio: 0.25),
             expected: [(0, 0), (5, 0.5), (10, 1), (45, 0.5), (85, 0.5), (120, 1)]),
    ]

    @Test(arguments: cases)
    func weights(_ c: Case) {
        for (step, weight) in c.expected {
            let actual = c.annealing.weight(atStep: step)
            #expect(abs(actual - weight) < 1e-6, "step \(step): \(actual), expected \(weight)")
        }
    }

    @Test func freeBitsChargeTheFloorAndStopTheGradientBelowIt() {
        let reconstruction = Tensor(scalar: 12, requiresGrad: true)
        let kl = Tensor([0.01, 0.5, 0.2], requiresGrad: true)
        let terms = SentenceLossTerms(reconstruction: reconstruction, klPerDimension: [kl], batchSize: 4, tokenCount: 20)
        let objective = terms.objective(klWeight: 0.5, beta: 2, freeBits: 0.1)
        #expect(isClose(objective.scalar, 3 + 0.5 * 2 * (0.1 + 0.5 + 0.2)))
        objective.backward()
        #expect(kl.grad!.toArray() == [0, 1, 1])
        #expect(isClose(reconstruction.grad!.scalar, 0.25))
    }

    @Test func withoutFreeBitsEveryDimensionPays() {
        let kl = Tensor([0.01, 0.5], requiresGrad: true)
        let terms = SentenceLossTerms(reconstruction: Tensor(scalar: 2), klPerDimension: [kl], batchSize: 1, tokenCount: 3)
        let objective = terms.objective(klWeight: 1, beta: 1, freeBits: 0)
        #expect(isClose(objective.scalar, 2.51))
        objective.backward()
        #expect(kl.grad!.toArray() == [1, 1])
        #expect(isClose(Float(terms.negativeELBOPerSentence), 2.51))
    }
}
