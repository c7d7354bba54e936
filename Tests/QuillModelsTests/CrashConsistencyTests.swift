import Foundation
import QuillTraining
import Testing
import TestSupport

/// A char-rnn run killed with SIGKILL at any moment, or stopped by a full disk during a
/// checkpoint, loses nothing: what is at `--output` loads, `--resume` continues, the metrics log
/// holds no torn line (or a torn last line that the resumed run leaves out with a note), and the
/// losses after resuming are those of the run that was never stopped (1 thread, bit for bit).
@Suite(.serialized) struct CrashConsistencyTests {
    static let corpus = String(repeating: """
        ROMEO: But, soft! what light through yonder window breaks?
        JULIET: O Romeo, Romeo! wherefore art thou Romeo? 春眠不覺曉 ✨

        """, count: 8)
    static let steps = 80
    /// Tiny sizes, a checkpoint every 10 steps (each step logs every 10 too), dropout so the
    /// random generators must be restored, and a schedule fixed apart from `--steps`.
    static let options = ["--batch-size", "4", "--seq-len", "16", "--hidden-size", "16", "--embedding-size", "8",
                          "--layers", "1", "--threads", "1", "--eval-interval", "10", "--dropout", "0.1",
                          "--decay-steps", "\(steps)"]

    static func train(_ corpus: String, output: String, steps: Int, resume: Bool = false) -> [String] {
        ["train", "char-rnn", "--corpus", corpus, "--output", output, "--steps", "\(steps)"] + options
            + (resume ? ["--resume"] : [])
    }

    /// The loss records of the run never stopped, without the figures that depend on the clock.
    static let uninterrupted: Result<[[String: Double]], any Error> = Result {
        let scratch = try ScratchDirectory("quill-crash")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let run = try runQuill(train(corpus, output: scratch.file("straight.safetensors"), steps: steps))
        guard run.status == 0 else { throw RunFailed(message: run.error) }
        return try lossRecords(scratch.file("straight.metrics.jsonl"))
    }

    struct RunFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "the uninterrupted run failed: \(message)" }
    }

    /// The records of a metrics log without the figures that measure the machine (time and
    /// memory); a line that is not JSON fails the test.
    static func lossRecords(_ path: String) throws -> [[String: Double]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let record = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double], "\(line)")
            return record.filter { !MetricsLog.machineFields.contains($0.key) }
        }
    }

    /// When, in a run, the kill comes.
    enum Moment: String, CaseIterable, Sendable {
        /// A pseudo-random time after the first checkpoint: almost always inside a step.
        case duringAStep = "during a step"
        /// As soon as the checkpoint writer's temporary file appears.
        case duringACheckpointWrite = "during a checkpoint write"
        /// As soon as the metrics log grows; a torn record is then appended, as a full disk or a
        /// crash of the machine would leave one (a kill alone cannot tear one `write`).
        case duringAMetricsAppend = "during a metrics-log append"
    }

    struct Trial: CustomTestStringConvertible, Sendable {
        var number: Int
        var moment: Moment
        /// For `duringAStep`, seconds after the first checkpoint; otherwise how many checkpoint
        /// writes or log appends to let pass first.
        var delay: Double
        var skipped: Int
        var testDescription: String { "trial \(number): kill -9 \(moment.rawValue) (\(moment == .duringAStep ? "\(Int(delay * 1000)) ms in" : "after \(skipped) passed"))" }
    }

    /// Twenty trials, the moments in turn, with timings from a fixed linear congruential sequence.
    static let trials: [Trial] = {
        var state: UInt64 = 0x5EED
        return (0..<20).map { number in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let draw = Double(state >> 11) / Double(1 << 53)
            return Trial(number: number + 1, moment: Moment.allCases[number % 3], delay: 0.4 * draw, skipped: Int(draw * 5))
        }
    }()

    @Test(arguments: trials)
    func aKilledRunResumesAsIfNeverStopped(_ trial: Trial) throws {
        let expected = try Self.uninterrupted.get()
        let scratch = try ScratchDirectory("quill-crash")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let output = scratch.file("model.safetensors"), last = scratch.file("model.last.safetensors")
        let metrics = scratch.file("model.metrics.jsonl")

        let process = Process()
        process.executableURL = quillExecutable
        process.arguments = Self.train(corpus, output: output, steps: Self.steps)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Resuming needs a last checkpoint; before the first, a fresh run is what to do.
        #expect(wait(until: { FileManager.default.fileExists(atPath: last) || !process.isRunning }),
                "no checkpoint within 60 s")
        switch trial.moment {
        case .duringAStep:
            Thread.sleep(forTimeInterval: trial.delay)
        case .duringACheckpointWrite:
            var seen = Set<String>()
            _ = wait(until: {
                let temporary = (try? FileManager.default.contentsOfDirectory(atPath: scratch.path))?.filter { $0.hasSuffix(".tmp") } ?? []
                seen.formUnion(temporary)
                return seen.count > trial.skipped || !process.isRunning
            }, interval: 0.0002)
        case .duringAMetricsAppend:
            var size = fileSize(metrics), growths = 0
            _ = wait(until: {
                let now = fileSize(metrics)
                if now > size { growths += 1; size = now }
                return growths > trial.skipped || !process.isRunning
            }, interval: 0.0002)
        }
        let stillRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(stillRunning && process.terminationReason == .uncaughtSignal, "the run ended before the kill")
        let interruptedWrite = (try FileManager.default.contentsOfDirectory(atPath: scratch.path)).contains { $0.hasSuffix(".tmp") }
        print("\(trial.testDescription): killed in a checkpoint write: \(interruptedWrite)")

        // What is at --output loads.
        for path in [output, last] {
            let info = try runQuill(["info", path])
            #expect(info.status == 0, "\(path) does not load after the kill: \(info.error)")
        }
        // A kill cannot tear a line: the log is whole lines of JSON. (Killed between the first
        // checkpoint and putting the log in place, the log is still at its staging path.)
        let logPath = FileManager.default.fileExists(atPath: metrics) ? metrics : metrics + ".new"
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(log.hasSuffix("\n"), "the log ends in a torn line")
        _ = try Self.lossRecords(logPath)
        if trial.moment == .duringAMetricsAppend {
            let handle = try #require(FileHandle(forWritingAtPath: logPath))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data("{\"elapsed_s\":0.5,\"learning_".utf8))
            try handle.close()
        }

        let resumed = try runQuill(Self.train(corpus, output: output, steps: Self.steps, resume: true))
        #expect(resumed.status == 0, "\(resumed.error)")
        if trial.moment == .duringAMetricsAppend {
            #expect(resumed.error.contains("ended in a torn line"), "\(resumed.error)")
        }
        #expect(try Self.lossRecords(metrics) == expected)
        if interruptedWrite {
            #expect(resumed.error.contains("a checkpoint left half written when its run stopped"), "\(resumed.error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".tmp") } == [],
                "a half-written checkpoint was left behind")
    }

    /// A full disk, as a file size limit (`ulimit -f`) makes it: writes fail with EFBIG, as
    /// with ENOSPC, in the checkpoint writer's temporary file.
    @Test func aFullDiskDuringACheckpointKeepsThePreviousOne() throws {
        let expected = try Self.uninterrupted.get().filter { $0["step"]! <= 40 }
        let scratch = try ScratchDirectory("quill-crash")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let output = scratch.file("model.safetensors"), last = scratch.file("model.last.safetensors")
        let first = try runQuill(Self.train(corpus, output: output, steps: 20))
        #expect(first.status == 0, "\(first.error)")
        let saved = try [output, last].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }

        // 16 blocks of 512 bytes: room for the metrics log, not for a checkpoint (about 66 kB).
        // SIGXFSZ is ignored, so a write past the limit fails instead of killing the process.
        let limited = try run(URL(fileURLWithPath: "/bin/sh"),
                              ["-c", "trap '' XFSZ; ulimit -f 16; exec \"$0\" \"$@\"", quillExecutable.path]
                                  + Self.train(corpus, output: output, steps: 40, resume: true))
        #expect(limited.status != 0)
        #expect(limited.error.contains("cannot write the checkpoint (writing: File too large); any previous file there is untouched"),
                "\(limited.error)")
        #expect(try [output, last].map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == saved,
                "a failed checkpoint changed the previous one")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).filter { $0.hasSuffix(".tmp") } == [],
                "the failed write left its temporary file")

        let again = try runQuill(Self.train(corpus, output: output, steps: 40, resume: true))
        #expect(again.status == 0, "\(again.error)")
        #expect(again.error.contains("records of steps after 20"), "\(again.error)")
        #expect(try Self.lossRecords(scratch.file("model.metrics.jsonl")) == expected)
    }
}

/// Polls `condition` every `interval` seconds for up to 60 seconds; whether it came true.
private func wait(until condition: () -> Bool, interval: Double = 0.002) -> Bool {
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: interval)
    }
    return false
}

/// The size of the file at `path`, or 0 when there is none.
private func fileSize(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
}
