import Foundation
import Testing
import QuillTraining
import TestSupport

/// `quill train gpt` end to end through the built `quill` executable.
@Suite(.serialized) struct GPTCommandTests {
    static let corpus = String(repeating: "ROMEO: But, soft! what light through yonder window breaks?\n", count: 12)

    static let tinySizes = ["--n-layer", "1", "--n-head", "2", "--n-embd", "8", "--block-size", "8",
                            "--batch-size", "2", "--warmup-steps", "2", "--eval-interval", "1000", "--threads", "1"]

    /// The training state saved in the checkpoint at `path`.
    static func savedState(_ path: String) throws -> [String: Any] {
        let training = try #require(try ModelFile.read(path).training)
        return try #require(try JSONSerialization.jsonObject(with: Data(training.utf8)) as? [String: Any])
    }

    /// The training options saved in the checkpoint at `path`.
    static func savedOptions(_ path: String) throws -> [String: Any] {
        try #require(try savedState(path)["options"] as? [String: Any])
    }

    /// The steps taken by the run saved at `path`.
    static func savedStep(_ path: String) throws -> Int {
        try #require((try savedState(path)["progress"] as? [String: Any])?["step"] as? Int)
    }

    /// A run bounded only by `--time` decays over that time, as char-rnn and the sentence models
    /// do; given a step count, it decays over the steps.
    @Test func aRunBoundedByTimeDecaysOverItsBudget() throws {
        let scratch = try ScratchDirectory("quill-gpt")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let timed = scratch.file("timed.safetensors"), stepped = scratch.file("stepped.safetensors")
        let first = try runQuill(["train", "gpt", "--corpus", corpus, "--output", timed, "--time", "2s"] + Self.tinySizes)
        #expect(first.status == 0, "\(first.error)")
        #expect(try Self.savedOptions(timed)["decaySeconds"] as? Double == 2)

        let second = try runQuill(["train", "gpt", "--corpus", corpus, "--output", stepped, "--time", "2s",
                                   "--steps", "5"] + Self.tinySizes)
        #expect(second.status == 0, "\(second.error)")
        let options = try Self.savedOptions(stepped)
        #expect(options["decaySeconds"] == nil && options["decaySteps"] as? Int == 5)
    }

    /// `--time` counts the run's whole training time, as `--steps` counts all its steps: resuming
    /// a run that has used its budget trains no further, and a larger budget trains on.
    @Test func aResumedRunCountsItsEarlierTrainingTime() throws {
        let scratch = try ScratchDirectory("quill-gpt")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let model = scratch.file("model.safetensors"), last = scratch.file("model.last.safetensors")
        func train(_ time: String, _ extra: [String] = []) throws {
            let run = try runQuill(["train", "gpt", "--corpus", corpus, "--output", model, "--time", time] + Self.tinySizes + extra)
            #expect(run.status == 0, "\(run.error)")
        }
        try train("1s")
        let steps = try Self.savedStep(last)
        try train("1s", ["--resume"])
        #expect(try Self.savedStep(last) == steps)
        try train("2s", ["--resume"])
        #expect(try Self.savedStep(last) > steps)
    }

    /// A text shorter than one sequence is a data error that names the text: the file, or the
    /// part of the corpus held out for validation.
    @Test func aTextShorterThanASequenceIsNamed() throws {
        let scratch = try ScratchDirectory("quill-gpt")
        let corpus = try scratch.write(Self.corpus, to: "corpus.txt")
        let short = try scratch.write("ROMEO: But,\n", to: "short.txt")
        let model = scratch.file("model.safetensors")
        let cases = [
            (["--corpus", short], "The first 90% of \(short), kept for training, has 10 tokens, fewer than one sequence needs (block_size + 1 = 33)."),
            (["--corpus", corpus, "--valid", short], "\(short) has 12 tokens, fewer than one sequence needs (block_size + 1 = 33)."),
            (["--corpus", corpus, "--valid-fraction", "0.02"],
             "The last 2% of \(corpus), held out for validation, has 15 tokens, fewer than one sequence needs (block_size + 1 = 33)."),
        ]
        for (arguments, message) in cases {
            let run = try runQuill(["train", "gpt", "--output", model] + arguments + Self.tinySizes + ["--block-size", "32"])
            #expect(run.status == 65 && run.error.contains(message), "\(run.error)")
        }
    }
}
