import Foundation
import Testing
import QuillTensor
import TestSupport

@Suite struct ScheduleTests {
    /// One schedule from Fixtures/optim/schedules.json: nanoGPT's get_lr or torch's StepLR/LambdaLR.
    struct Case: Decodable, CustomTestStringConvertible, Sendable {
        let name: String
        let schedule: LearningRateScheduleConfiguration
        let rates: [Double]
        var testDescription: String { name }

        static let all: [Case] = {
            struct File: Decodable { let cases: [Case] }
            let data = try! Data(contentsOf: fixtureURL("optim/schedules.json"))
            return try! JSONDecoder().decode(File.self, from: data).cases
        }()
    }

    @Test(arguments: Case.all)
    func ratesMatchTheReference(_ c: Case) {
        for (step, expected) in c.rates.enumerated() {
            let rate = c.schedule.rate(atStep: step)
            #expect(isClose(rate, Float(expected), rtol: 1e-6, atol: 1e-12), "step \(step): \(rate) vs \(expected)")
        }
    }

    @Test(arguments: Case.all)
    func configurationsRoundTripThroughJSON(_ c: Case) throws {
        let data = try JSONEncoder().encode(c.schedule)
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(object?["kind"] is String)
        #expect(try JSONDecoder().decode(LearningRateScheduleConfiguration.self, from: data) == c.schedule)
    }

    @Test func warmupCosineIsContinuousAndBounded() {
        let schedule = WarmupCosineDecay(maxRate: 1e-3, minRate: 1e-4, warmupSteps: 20, decaySteps: 200)
        let rates = (0...250).map { schedule.rate(atStep: $0) }
        #expect(rates[0] < rates[19] && rates[19] < rates[20])
        #expect(rates[20] == 1e-3 && rates[200] == 1e-4 && rates[250] == 1e-4)
        #expect(zip(rates[20...], rates[21...]).allSatisfy { $0 >= $1 })
    }

    /// A run bounded by a time budget warms up by steps, then decays over the fraction of its
    /// time spent, whatever step it has reached.
    @Test func warmupCosineOverTimeFollowsTheFractionOfTheBudget() {
        let schedule = WarmupCosineDecay(maxRate: 1e-3, minRate: 1e-4, warmupSteps: 20, decaySteps: 200)
        #expect(schedule.rate(atStep: 5, decayFraction: 0.9) == schedule.rate(atStep: 5))
        #expect(schedule.rate(atStep: 20, decayFraction: 0) == 1e-3)
        #expect(isClose(schedule.rate(atStep: 20, decayFraction: 0.5), 5.5e-4, rtol: 1e-6, atol: 0))
        #expect(schedule.rate(atStep: 5000, decayFraction: 0.25) == schedule.rate(atStep: 20, decayFraction: 0.25))
        #expect(schedule.rate(atStep: 21, decayFraction: 1) == 1e-4 && schedule.rate(atStep: 21, decayFraction: 3) == 1e-4)
        #expect(schedule.rate(atStep: 21, decayFraction: -1) == 1e-3)
    }

    @Test func warmupCosineWithAnEmptyDecayDropsToTheMinimum() {
        let schedule = WarmupCosineDecay(maxRate: 1, minRate: 0.25, warmupSteps: 3, decaySteps: 3)
        #expect((0..<6).map { schedule.rate(atStep: $0) } == [0.25, 0.5, 0.75, 0.25, 0.25, 0.25])
    }

    @Test func constantRateIgnoresTheStep() {
        let schedule = LearningRateScheduleConfiguration.constant(ConstantRate(rate: 0.125))
        #expect([0, 1, 1_000_000].map { schedule.rate(atStep: $0) } == [0.125, 0.125, 0.125])
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let name: String
        let json: String
        var testDescription: String { name }
    }

    static let invalid: [Invalid] = [
        Invalid(name: "unknown kind", json: #"{"kind": "exponential", "rate": 0.1}"#),
        Invalid(name: "missing kind", json: #"{"rate": 0.1}"#),
        Invalid(name: "negative warmup", json: #"{"kind": "warmupCosine", "maxRate": 1, "minRate": 0, "warmupSteps": -1, "decaySteps": 5}"#),
        Invalid(name: "decay before warmup ends", json: #"{"kind": "warmupCosine", "maxRate": 1, "minRate": 0, "warmupSteps": 10, "decaySteps": 5}"#),
        Invalid(name: "zero interval", json: #"{"kind": "stepDecay", "initialRate": 0.1, "interval": 0, "factor": 0.5}"#),
        Invalid(name: "missing field", json: #"{"kind": "stepDecay", "initialRate": 0.1, "factor": 0.5}"#),
    ]

    @Test(arguments: invalid)
    func invalidConfigurationsFailToDecode(_ c: Invalid) {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(LearningRateScheduleConfiguration.self, from: Data(c.json.utf8))
        }
    }
}
