import Foundation
import Testing
import TestSupport

/// `quill train vae|hvae|lm`, `sample`, `reconstruct`, `interpolate` and `eval --json` run end
/// to end on a tiny corpus, through the built `quill` executable.
@Suite(.serialized) struct VAECommandTests {
    static let corpus = """
        the cat sat on the mat
        a dog ran in the park
        the dog sat on a log
        a cat ran to the mat
        the bird sat in a tree
        a bird ran on the log
        """

    /// Runs `quill` with `arguments`.
    static func quill(_ arguments: [String]) throws -> QuillRun { try runQuill(arguments) }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("quill-vae-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(arguments: ["vae", "hvae"])
    func trainSampleReconstructInterpolateEvaluate(kind: String) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = directory.appendingPathComponent("corpus.txt").path
        try Self.corpus.write(toFile: corpus, atomically: true, encoding: .utf8)
        let model = directory.appendingPathComponent("model.safetensors").path
        let train = try Self.quill(["train", kind, "--corpus", corpus, "--valid", corpus, "--output", model, "--steps", "10",
                                    "--batch-size", "3", "--embedding-size", "8", "--hidden-size", "12", "--latent-size", "4",
                                    "--tokenizer", "whitespace", "--kl-anneal", "cyclical", "--kl-anneal-steps", "4",
                                    "--word-dropout", "0.2", "--free-bits", "0.1", "--threads", "1"])
        #expect(train.status == 0, "\(train.error)")
        let metrics = try String(contentsOfFile: directory.appendingPathComponent("model.metrics.jsonl").path, encoding: .utf8)
        #expect(metrics.contains("\"kl_weight\"") && metrics.contains("\"val_loss\"") && metrics.contains("\"active_units\""))

        let sample = try Self.quill(["sample", model, "--count", "3", "--seed", "1", "--max-tokens", "8"])
        #expect(sample.status == 0, "\(sample.error)")
        #expect(sample.output.split(separator: "\n", omittingEmptySubsequences: false).count == 4)

        let reconstruct = try Self.quill(["reconstruct", model, "the cat sat", "a dog ran", "--max-tokens", "8"])
        #expect(reconstruct.status == 0, "\(reconstruct.error)")
        #expect(reconstruct.output.split(separator: "\n").count == 2)

        let interpolate = try Self.quill(["interpolate", model, "the cat sat on the mat", "a bird ran on the log",
                                          "--steps", "4", "--slerp", "--max-tokens", "8"])
        #expect(interpolate.status == 0, "\(interpolate.error)")
        let lines = interpolate.output.split(separator: "\n")
        #expect(lines.count == 5 && lines.first!.hasPrefix("0.000\t") && lines.last!.hasPrefix("1.000\t"))

        let evaluation = try Self.quill(["eval", model, "--corpus", corpus, "--samples", "4", "--json"])
        #expect(evaluation.status == 0, "\(evaluation.error)")
        let figures = try JSONSerialization.jsonObject(with: Data(evaluation.output.utf8)) as? [String: Any] ?? [:]
        for key in ["elbo", "reconstruction", "kl", "iw_nll", "perplexity", "mutual_information", "active_units", "tokens"] {
            #expect(figures[key] != nil, "eval --json lacks \(key): \(evaluation.output)")
        }
        #expect(figures["tokens"] as? Int == 42)
    }

    /// A one-sentence corpus without --valid leaves nothing to train on once validation is held
    /// out, and the error says so (it said the file was empty).
    @Test func aOneSentenceCorpusNeedsValidationText() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = directory.appendingPathComponent("one.txt").path
        try "hello world\n".write(toFile: corpus, atomically: true, encoding: .utf8)
        let run = try Self.quill(["train", "vae", "--corpus", corpus, "--output", directory.appendingPathComponent("m.safetensors").path,
                                  "--steps", "1", "--tokenizer", "whitespace", "--threads", "1"])
        #expect(run.status == 65, "\(run.error)")
        #expect(run.error.contains("\(corpus) has 1 sentence, too few to hold some out for validation"), "\(run.error)")
    }

    @Test func languageModelBaselineTrainsAndEvaluates() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = directory.appendingPathComponent("corpus.txt").path
        try Self.corpus.write(toFile: corpus, atomically: true, encoding: .utf8)
        let model = directory.appendingPathComponent("lm.safetensors").path
        let train = try Self.quill(["train", "lm", "--corpus", corpus, "--valid", corpus, "--output", model, "--steps", "4",
                                    "--batch-size", "3", "--embedding-size", "8", "--hidden-size", "12",
                                    "--tokenizer", "whitespace", "--threads", "1"])
        #expect(train.status == 0, "\(train.error)")
        let evaluation = try Self.quill(["eval", model, "--corpus", corpus, "--json"])
        #expect(evaluation.status == 0, "\(evaluation.error)")
        #expect(evaluation.output.contains("\"perplexity\"") && evaluation.output.contains("\"tokens\": 42"))
        let refused = try Self.quill(["train", "lm", "--corpus", corpus, "--output", model, "--latent-size", "8"])
        #expect(refused.status == 64)
        let noPosterior = try Self.quill(["train", "lm", "--corpus", corpus, "--output", model, "--posterior-batch-norm", "0.5"])
        #expect(noPosterior.status == 64 && noPosterior.error.contains("--posterior-batch-norm"))
        let noEncoder = try Self.quill(["train", "lm", "--corpus", corpus, "--output", model, "--aggressive-encoder"])
        #expect(noEncoder.status == 64 && noEncoder.error.contains("--aggressive-encoder"))
        let wrongKind = try Self.quill(["interpolate", model, "the cat", "a dog"])
        #expect(wrongKind.status == 64 && wrongKind.error.contains("vae"))
        // The word tokenizer encodes spaces too, but a blank line is no sentence.
        let blank = directory.appendingPathComponent("blank.txt").path
        try " \n\t\n   \n".write(toFile: blank, atomically: true, encoding: .utf8)
        let blankRun = try Self.quill(["train", "lm", "--corpus", blank, "--output", directory.appendingPathComponent("blank.safetensors").path])
        #expect(blankRun.status == 65 && blankRun.error.contains("has no sentences"), "\(blankRun.error)")
    }

    /// With aggressive training, the phase's state (the last epoch's MI) resumes too: 3 batches
    /// an epoch, so the run stops after one MI check and decides the next one after resuming.
    @Test(arguments: [false, true])
    func resumedRunRepeatsTheUninterruptedOne(aggressive: Bool) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = directory.appendingPathComponent("corpus.txt").path
        try Self.corpus.write(toFile: corpus, atomically: true, encoding: .utf8)
        @discardableResult
        func train(_ name: String, steps: Int, resume: Bool = false) throws -> QuillRun {
            let result = try Self.quill(["train", "vae", "--corpus", corpus, "--valid", corpus, "--steps", "\(steps)",
                                         "--output", directory.appendingPathComponent(name).path, "--eval-interval", "4",
                                         "--batch-size", "2", "--embedding-size", "8", "--hidden-size", "12",
                                         "--latent-size", "4", "--tokenizer", "whitespace", "--dropout", "0.2",
                                         "--word-dropout", "0.3", "--learning-rate", "0.001", "--min-learning-rate", "0.001",
                                         "--threads", "1"] + (resume ? ["--resume"] : [])
                                         + (aggressive ? ["--aggressive-encoder"] : []))
            #expect(result.status == 0, "\(result.error)")
            return result
        }
        let straight = try train("straight.safetensors", steps: 8)
        #expect(straight.error.contains("epoch 1: validation MI") == aggressive, "\(straight.error)")
        try train("resumed.safetensors", steps: 4)
        let resumed = try train("resumed.safetensors", steps: 8, resume: true)
        // The command that began the run, given again with --resume, reads as it is: no note.
        #expect(!resumed.error.contains("note:"), "\(resumed.error)")
        let figures = try ["straight", "resumed"].map { name in
            try Self.quill(["eval", directory.appendingPathComponent("\(name).last.safetensors").path, "--corpus", corpus,
                            "--samples", "3", "--json"]).output
        }
        #expect(figures[0] == figures[1] && !figures[0].isEmpty)
    }
}
