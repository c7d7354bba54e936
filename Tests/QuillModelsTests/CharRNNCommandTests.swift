import Foundation
import QuillTraining
import Testing
import TestSupport

/// `quill train char-rnn`, `sample` and `eval` end to end through the built `quill` executable,
/// with the exit codes and one-line messages of the error cases.
@Suite(.serialized) struct CharRNNCommandTests {
    static let corpus = String(repeating: """
        ROMEO: But, soft! what light through yonder window breaks?
        JULIET: O Romeo, Romeo! wherefore art thou Romeo? 春眠不覺曉 ✨

        """, count: 8)

    static let tinySizes = ["--batch-size", "4", "--seq-len", "16", "--hidden-size", "16", "--embedding-size", "8",
                            "--threads", "1"]

    /// Runs the `quill` built beside this test bundle.
    static func quill(_ arguments: [String]) throws -> QuillRun { try runQuill(arguments) }

    static func train(_ corpus: String, output: String, _ extra: [String]) throws -> QuillRun {
        try quill(["train", "char-rnn", "--corpus", corpus, "--output", output] + tinySizes + extra)
    }

    /// The records of a metrics log without the figures that depend on the clock.
    static func lossRecords(_ path: String) throws -> [[String: Double]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double] ?? [:]
            return record.filter { !MetricsLog.machineFields.contains($0.key) }
        }
    }

    @Test func trainSampleAndEvaluate() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors")
        let train = try Self.train(corpus, output: model, ["--steps", "12", "--eval-interval", "6", "--dropout", "0.1"])
        #expect(train.status == 0, "\(train.error)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("model.last.safetensors")))
        let records = try Self.lossRecords(scratch.file("model.metrics.jsonl"))
        #expect(records.filter { $0["val_loss"] != nil }.count == 2)
        #expect(records.contains { $0["train_loss"] != nil && $0["step"] == 10 })
        // The closing line and each logged step say how much memory the run held.
        let peak = try #require(train.error.firstMatch(of: #/\(last\)\. Peak RSS (\d+) MB\.\n/#), "\(train.error)")
        #expect(Int(peak.1)! > 1)
        let logged = try String(contentsOfFile: scratch.file("model.metrics.jsonl"), encoding: .utf8).split(separator: "\n")
            .compactMap { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Double] }
            .first { $0["train_loss"] != nil }
        let memory = try #require(logged)
        #expect(memory["rss_mb"]! > 1 && memory["rss_mb"]! <= memory["peak_rss_mb"]!)
        #expect(memory["pool_mb"]! >= memory["pool_cached_mb"]!)

        let arguments = ["sample", model, "--prompt", "ROMEO:", "--seed", "3", "--max-tokens", "30", "--count", "2"]
        let sample = try Self.quill(arguments), again = try Self.quill(arguments)
        #expect(sample.status == 0, "\(sample.error)")
        #expect(sample.output.hasPrefix("ROMEO:"))
        // The second sample follows the first after a blank line, in order, through a pipe too.
        #expect(sample.output.components(separatedBy: "\n\nROMEO:").count == 2 && sample.output.hasSuffix("\n"),
                "\(sample.output)")
        #expect(sample.output == again.output)

        let evaluation = try Self.quill(["eval", model, "--corpus", corpus, "--json"])
        #expect(evaluation.status == 0, "\(evaluation.error)")
        let figures = try JSONSerialization.jsonObject(with: Data(evaluation.output.utf8)) as? [String: Double] ?? [:]
        for key in ["nats_per_token", "bits_per_token", "nats_per_char", "bits_per_char", "perplexity", "tokens"] {
            #expect(figures[key] != nil, "eval --json lacks \(key): \(evaluation.output)")
        }
        let nats = try #require(figures["nats_per_token"])
        #expect(abs(figures["bits_per_token"]! - nats / log(2)) < 1e-4)
        #expect(nats > 0 && nats < log(Double(60)))
    }

    @Test func resumingAtOneThreadRepeatsTheUninterruptedRun() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let common = ["--dropout", "0.2", "--eval-interval", "10", "--decay-steps", "20"]
        let straight = try Self.train(corpus, output: scratch.file("straight.safetensors"), common + ["--steps", "20"])
        #expect(straight.status == 0, "\(straight.error)")
        let first = try Self.train(corpus, output: scratch.file("resumed.safetensors"), common + ["--steps", "10"])
        #expect(first.status == 0, "\(first.error)")
        let second = try Self.quill(["train", "char-rnn", "--corpus", corpus, "--output", scratch.file("resumed.safetensors"),
                                     "--steps", "20", "--eval-interval", "10", "--threads", "1", "--resume",
                                     "--hidden-size", "99", "--learning-rate=1", "--dropout", "0.5", "--dropout", "0.20",
                                     "--decay-steps=20"])
        #expect(second.status == 0, "\(second.error)")
        // Changed sizes and rates are named with the values the run began with, and (the
        // losses below show) not used; flags given as the run began are not named, and of a
        // flag given twice only the last value counts, as the parser reads it.
        #expect(second.error.contains("""
            --resume continues with the checkpoint's settings, so it does not read --hidden-size 99 (the run began with \
            --hidden-size 16), --learning-rate 1 (the run began without it, so with its default).
            """), "\(second.error)")
        // The checkpoint keeps the command that began the run, through the resume.
        let info = try Self.quill(["info", scratch.file("resumed.safetensors")])
        let began = "command        quill train char-rnn --corpus \(corpus) --output \(scratch.file("resumed.safetensors"))"
        #expect(info.output.contains(began + " --batch-size 4 --seq-len 16"), "\(info.output)")
        let expected = try Self.lossRecords(scratch.file("straight.metrics.jsonl"))
        #expect(expected.count == 4)
        #expect(try Self.lossRecords(scratch.file("resumed.metrics.jsonl")) == expected)
    }

    /// Ctrl-C, and SIGTERM as `kill`, `timeout` and batch schedulers send, save and stop.
    @Test(arguments: [SIGINT, SIGTERM])
    func aStopSignalSavesACheckpointAndExits(_ signalNumber: Int32) throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let process = Process()
        process.executableURL = quillExecutable
        process.arguments = ["train", "char-rnn", "--corpus", corpus, "--output", scratch.file("model.safetensors"),
                             "--steps", "1000000", "--eval-interval", "1000000"] + Self.tinySizes
        _ = FileManager.default.createFile(atPath: scratch.file("stderr.txt"), contents: nil)
        process.standardError = FileHandle(forWritingAtPath: scratch.file("stderr.txt"))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait for the first metrics record (step 10), so the signal comes mid-training. A fresh
        // run logs to model.metrics.jsonl.new until its first checkpoint, which comes only now.
        let metrics = scratch.file("model.metrics.jsonl")
        let staged = metrics + ".new"
        let hasRecord = { !((try? String(contentsOfFile: staged, encoding: .utf8)) ?? "").isEmpty }
        let deadline = Date().addingTimeInterval(30)
        while !hasRecord() && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        guard hasRecord() else {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let error = (try? String(contentsOfFile: scratch.file("stderr.txt"), encoding: .utf8)) ?? ""
            Issue.record("no metrics record in \(staged) within 30 s, so no signal was sent\n\(error)")
            return
        }
        kill(process.processIdentifier, signalNumber)
        let stop = Date().addingTimeInterval(30)
        while process.isRunning && Date() < stop { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            Issue.record("quill ignored signal \(signalNumber) for 30 s")
        }
        process.waitUntilExit()
        let error = try String(contentsOfFile: scratch.file("stderr.txt"), encoding: .utf8)
        #expect(process.terminationStatus == 130, "\(error)")
        #expect(error.contains("checkpoint saved (continue with --resume)"), "\(error)")
        #expect(FileManager.default.fileExists(atPath: scratch.file("model.last.safetensors")))
        #expect(!FileManager.default.fileExists(atPath: staged))
        #expect(!((try? String(contentsOfFile: metrics, encoding: .utf8)) ?? "").isEmpty, "the log was not committed")
    }

    struct Failure: CustomTestStringConvertible, Sendable {
        var name: String
        var corpus: [UInt8]
        var arguments: [String]
        var status: Int32
        var message: String
        var testDescription: String { name }
    }

    @Test(arguments: [
        Failure(name: "empty corpus", corpus: [], arguments: ["--steps", "2"], status: 65, message: "has no text: it is empty or only whitespace"),
        Failure(name: "corpus shorter than one batch", corpus: Array("tiny text\n".utf8), arguments: ["--steps", "2"],
                status: 65, message: "fewer than one batch needs"),
        Failure(name: "not UTF-8", corpus: Array(String(repeating: "to be or not\n", count: 40).utf8) + [0xFF, 0x0A]
                    + Array(corpus.utf8),
                arguments: ["--steps", "2"], status: 65, message: "invalid UTF-8 at byte offset 520"),
        Failure(name: "resume without a checkpoint", corpus: Array(corpus.utf8), arguments: ["--steps", "2", "--resume"],
                status: 66, message: "--resume found no checkpoint"),
        Failure(name: "loss turns NaN", corpus: Array(corpus.utf8),
                arguments: ["--steps", "30", "--eval-interval", "1", "--learning-rate", "1e38", "--grad-clip", "0"],
                status: 65, message: "The last good checkpoint is kept at"),
    ])
    func badInputFailsWithOneLine(_ failure: Failure) throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = scratch.file("corpus.txt")
        #expect(FileManager.default.createFile(atPath: corpus, contents: Data(failure.corpus)))
        let run = try Self.train(corpus, output: scratch.file("model.safetensors"), failure.arguments)
        #expect(run.status == failure.status, "\(run.error)")
        let lines = run.error.split(separator: "\n").filter { $0.hasPrefix("quill: ") }
        #expect(lines.count == 1 && lines[0].contains(failure.message), "\(run.error)")
    }

    /// `eval` reports the share of `<unk>` tokens, and warns when text is mostly outside the vocabulary.
    @Test func evaluatingForeignTextWarns() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let greek = try scratch.write(String(repeating: "Ἐν ἀρχῇ ἦν ὁ λόγος, καὶ ὁ λόγος ἦν πρὸς τὸν θεόν.\n", count: 4), to: "greek.txt")
        let model = scratch.file("model.safetensors")
        #expect(try Self.train(corpus, output: model, ["--steps", "1"]).status == 0)

        let own = try Self.quill(["eval", model, "--corpus", corpus, "--json"])
        #expect(own.status == 0 && !own.error.contains("warning"), "\(own.error)")
        let ownFigures = try JSONSerialization.jsonObject(with: Data(own.output.utf8)) as? [String: Double] ?? [:]
        #expect(ownFigures["unknown_share"] == 0, "\(own.output)")

        let foreign = try Self.quill(["eval", model, "--corpus", greek, "--json"])
        #expect(foreign.status == 0, "\(foreign.error)")
        let share = try #require((try JSONSerialization.jsonObject(with: Data(foreign.output.utf8)) as? [String: Double])?["unknown_share"])
        #expect(share > 0.5)
        #expect(foreign.error.contains("quill: warning: \(Int((share * 100).rounded()))% of the tokens of \(greek) are <unk>"), "\(foreign.error)")

        // Training on it with the English vocabulary warns too.
        let vocabulary = scratch.file("english.json")
        #expect(try Self.quill(["vocab", "build", "--tokenizer", "char", "--output", vocabulary, corpus]).status == 0)
        let training = try Self.train(greek, output: scratch.file("greek.safetensors"), ["--steps", "1", "--vocab", vocabulary])
        #expect(training.status == 0, "\(training.error)")
        #expect(training.error.contains("of the tokens of \(greek) are <unk>, outside the vocabulary, so the model learns little of it"),
                "\(training.error)")
    }

    /// A fresh run that fails before its first checkpoint leaves the model already at --output
    /// and its metrics log as they were.
    @Test func aFailedFreshRunKeepsTheSavedModelAndItsLog() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors"), log = scratch.file("model.metrics.jsonl")
        #expect(try Self.train(corpus, output: model, ["--steps", "4", "--eval-interval", "2"]).status == 0)
        let savedModel = try Data(contentsOf: URL(fileURLWithPath: model)), savedLog = try String(contentsOfFile: log, encoding: .utf8)
        #expect(!savedLog.isEmpty)

        let run = try Self.train(corpus, output: model, ["--steps", "30", "--learning-rate", "1e38", "--grad-clip", "0"])
        #expect(run.status == 65, "\(run.error)")
        #expect(run.error.contains("This run had saved no checkpoint, so any model already at --output is unchanged"), "\(run.error)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == savedModel)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == savedLog)
        #expect(!FileManager.default.fileExists(atPath: log + ".new"))

        // A run that saves replaces the log with its own.
        #expect(try Self.train(corpus, output: model, ["--steps", "3", "--eval-interval", "3"]).status == 0)
        let records = try Self.lossRecords(log)
        #expect(records.count == 1 && records[0]["step"] == 3, "\(records)")
    }

    /// A run that ends between evaluations evaluates at its last step, and its closing line
    /// reports that evaluation (it read the best before it: "Best val loss nan at step 0").
    @Test func theClosingLineCountsTheLastEvaluation() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let run = try Self.train(corpus, output: scratch.file("model.safetensors"), ["--steps", "3", "--eval-interval", "100"])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.error.contains("finished 3 steps. Best val loss ") && run.error.contains(" at step 3; saved "), "\(run.error)")
        #expect(!run.error.contains("nan"), "\(run.error)")
    }

    /// A model given as --vocab lends its vocabulary, to `tokenize` and to a new run (it was
    /// refused as "not valid JSON").
    @Test func aModelServesAsAVocabulary() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors")
        #expect(try Self.train(corpus, output: model, ["--steps", "1"]).status == 0)
        let text = try scratch.write("ROMEO: 春眠\n", to: "line.txt")
        let ids = try Self.quill(["tokenize", "--vocab", model, "--ids", text])
        #expect(ids.status == 0 && !ids.output.isEmpty, "\(ids.error)")
        let ids2 = try scratch.write(ids.output, to: "ids.txt")
        let decoded = try Self.quill(["tokenize", "--vocab", model, "--decode", ids2])
        #expect(decoded.output == "ROMEO: 春眠\n", "\(decoded.output) \(decoded.error)")

        let second = scratch.file("second.safetensors")
        #expect(try Self.train(corpus, output: second, ["--steps", "1", "--vocab", model]).status == 0)
        let info = try Self.quill(["info", model, "--json"]), secondInfo = try Self.quill(["info", second, "--json"])
        let size = { (run: QuillRun) in
            (((try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any])?["tokenizer"] as? [String: Any])?["size"] as? Int
        }
        #expect(size(info) != nil && size(info) == size(secondInfo), "\(info.output)")
    }

    /// Resuming a run that has already finished trains nothing and leaves its files as they were
    /// (it evaluated again, appended a duplicate record and printed a loss of nan).
    @Test func resumingAFinishedRunChangesNothing() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors"), log = scratch.file("model.metrics.jsonl")
        #expect(try Self.train(corpus, output: model, ["--steps", "5", "--eval-interval", "2"]).status == 0)
        let files = [model, scratch.file("model.last.safetensors"), log]
        let before = try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        let again = try Self.train(corpus, output: model, ["--steps", "5", "--eval-interval", "2", "--resume"])
        #expect(again.status == 0, "\(again.error)")
        #expect(again.error.contains("Nothing trained: the run had already finished its 5 steps. Best val loss "), "\(again.error)")
        #expect(!again.error.contains("nan"), "\(again.error)")
        #expect(try files.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } == before)
    }

    /// A run resumed on other validation text cannot compare its losses with the best so far,
    /// so its first evaluation is the new best, and it says so; on the same text it says nothing.
    @Test func resumingOnOtherValidationTextChoosesTheBestAfresh() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        // The training text itself, and a text of its rarest characters, which scores worse.
        let easy = try scratch.write(Self.corpus, to: "easy.txt")
        let hard = try scratch.write(String(repeating: "✨春曉覺\n", count: 60), to: "hard.txt")
        let model = scratch.file("model.safetensors")
        let interval = ["--eval-interval", "2"]
        #expect(try Self.train(corpus, output: model, ["--valid", easy, "--steps", "4"] + interval).status == 0)
        let same = try Self.train(corpus, output: model, ["--valid", easy, "--steps", "6", "--resume"] + interval)
        #expect(same.status == 0 && !same.error.contains("validation text"), "\(same.error)")
        let other = try Self.train(corpus, output: model, ["--valid", hard, "--steps", "8", "--resume"] + interval)
        #expect(other.status == 0, "\(other.error)")
        #expect(other.error.contains("note: the validation text is not the one the best model so far was chosen on (val loss "),
                "\(other.error)")
        #expect(other.error.contains(" at step 8; saved \(model) (best)"), "\(other.error)")
    }

    /// `quill report` draws the curves from the metrics log; a model shared without its log
    /// still gets a report, of its figures and samples, with a warning.
    @Test func aReportNeedsNoMetricsLog() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors"), page = scratch.file("report.html")
        #expect(try Self.train(corpus, output: model, ["--steps", "4", "--eval-interval", "2"]).status == 0)
        let full = try Self.quill(["report", model, "--output", page, "--samples", "1"])
        #expect(full.status == 0 && full.output == page + "\n" && full.error.isEmpty, "\(full.error)")
        #expect(try String(contentsOfFile: page, encoding: .utf8).contains("<svg"))

        try FileManager.default.removeItem(atPath: scratch.file("model.metrics.jsonl"))
        let bare = try Self.quill(["report", model, "--output", page, "--samples", "1"])
        #expect(bare.status == 0, "\(bare.error)")
        #expect(bare.error == "quill: warning: no metrics log at \(scratch.file("model.metrics.jsonl")), so the report has no curves.\n")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("<svg") && html.contains("None: the model's metrics log") && html.contains("best validation loss"))
    }

    /// Options that would destroy an input or cannot mean anything are usage errors before any work.
    @Test(arguments: [
        (["--output", "corpus.txt"], "--output corpus.txt is the --corpus file"),
        (["--output", "."], "--output . is a directory"),
        (["--output", "model.safetensors", "--learning-rate", "inf"], "--learning-rate must be a finite number, got inf."),
        (["--output", "model.safetensors", "--epochs", "nan"], "--epochs must be a finite number, got nan."),
        (["--output", "model.safetensors", "--epochs", "1e300"], "--epochs must be at most 1000000, got 1e+300."),
        (["--output", "model.safetensors", "--time", "0s"], "--time must be longer than zero, got 0s."),
        // Sizes this large overflowed the model's arithmetic and trapped.
        (["--output", "model.safetensors", "--hidden-size", "9223372036854775807"],
         "--hidden-size must be at most 1048576, got 9223372036854775807."),
        (["--output", "model.safetensors", "--batch-size", "4611686018427387904"],
         "--batch-size must be at most 1048576, got 4611686018427387904."),
        (["--output", "model.safetensors", "--seq-len", "0"], "--seq-len must be positive, got 0."),
    ])
    func destructiveOrMeaninglessOptionsAreRefused(_ arguments: [String], _ message: String) throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let absolute = arguments.map { $0 == "corpus.txt" || $0 == "." || $0 == "model.safetensors" ? scratch.file($0) : $0 }
        let message = message.replacingOccurrences(of: "corpus.txt", with: scratch.file("corpus.txt"))
            .replacingOccurrences(of: "--output . ", with: "--output \(scratch.file(".")) ")
        let run = try Self.quill(["train", "char-rnn", "--corpus", corpus, "--steps", "2"] + Self.tinySizes + absolute)
        #expect(run.status == 64, "\(run.error)")
        #expect(run.error.contains(message), "\(run.error)")
        #expect(try String(contentsOfFile: corpus, encoding: .utf8) == Self.corpus)
    }

    /// An --output that is a device or named pipe is refused: saving renames a file over the
    /// path, which would replace it (as root, /dev/null itself).
    @Test func anOutputThatIsNotARegularFileIsRefused() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let pipe = scratch.file("pipe")
        #expect(mkfifo(pipe, 0o600) == 0)
        for arguments in [["train", "char-rnn", "--corpus", corpus, "--steps", "2"] + Self.tinySizes,
                          ["vocab", "build", "--tokenizer", "char", corpus]] {
            let run = try Self.quill(arguments + ["--output", pipe])
            #expect(run.status == 64, "\(run.error)")
            #expect(run.error.contains("--output \(pipe) exists and is not a regular file"), "\(run.error)")
        }
        var status = stat()
        #expect(stat(pipe, &status) == 0 && status.st_mode & S_IFMT == S_IFIFO)
        #expect(!FileManager.default.fileExists(atPath: pipe + ".last.safetensors"))
    }

    /// Results that cannot be written (stdout on a full disk) fail with one line and exit 1,
    /// where they trapped (`sample`) or were lost with exit 0 (`info`).
    @Test(.enabled(if: FileManager.default.isWritableFile(atPath: "/dev/full"),
                   "needs /dev/full, the Linux device whose every write fails with ENOSPC; macOS has none"))
    func aFullStandardOutputFailsWithOneLine() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors")
        let vocabulary = scratch.file("vocabulary.json")
        #expect(try Self.train(corpus, output: model, ["--steps", "2"]).status == 0)
        #expect(try Self.quill(["vocab", "build", "--tokenizer", "char", "--output", vocabulary, corpus]).status == 0)
        for arguments in [["sample", model, "--max-tokens", "5", "--seed", "1"], ["info", model],
                          ["tokenize", "--vocab", vocabulary, corpus]] {
            let process = Process()
            process.executableURL = quillExecutable
            process.arguments = arguments
            process.standardOutput = FileHandle(forWritingAtPath: "/dev/full")
            let error = Pipe()
            process.standardError = error
            try process.run()
            let message = String(decoding: error.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 1, "\(arguments[0]): \(message)")
            #expect(message == "quill: cannot write to standard output: No space left on device.\n", "\(arguments[0]): \(message)")
        }
    }

    /// Sizes too large for the machine's memory end the run with one line, not a crash.
    @Test func sizesBeyondMemoryEndWithAMessage() throws {
        let scratch = try ScratchDirectory("quill-charrnn")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let run = try Self.quill(["train", "char-rnn", "--corpus", corpus, "--steps", "2", "--hidden-size", "1000000",
                                  "--output", scratch.file("model.safetensors")])
        #expect(run.status == 1, "\(run.error)")
        #expect(run.error.hasPrefix("quill: out of memory: a tensor needs") && run.error.split(separator: "\n").count == 1,
                "\(run.error)")
    }
}
