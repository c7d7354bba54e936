import Foundation
import Testing
import TestSupport

/// `quill eval --pairs`, `--reference` and `--decode` end to end on a tiny VAE and LM trained
/// here, through the built `quill` executable.
@Suite(.serialized) struct EvalPairsCommandTests {
    struct Models {
        let directory: ScratchDirectory
        let corpus: String, pairs: String, vae: String, lm: String, gpt: String
    }

    /// A VAE, an LM and a GPT trained for a few steps on VAECommandTests' corpus, with two pairs from it.
    static let models: Result<Models, Error> = Result {
        let directory = try ScratchDirectory("quill-eval-pairs")
        let corpus = try directory.write(VAECommandTests.corpus + "\n", to: "corpus.txt")
        let pairs = try directory.write("the cat sat on the mat\ta bird ran on the log\nthe dog sat on a log\ta cat ran to the mat\n",
                                        to: "pairs.tsv")
        let vae = directory.file("vae.safetensors"), lm = directory.file("lm.safetensors"), gpt = directory.file("gpt.safetensors")
        for (kind, output) in [("vae", vae), ("lm", lm)] {
            let train = try runQuill(["train", kind, "--corpus", corpus, "--valid", corpus, "--output", output, "--steps", "6",
                                      "--batch-size", "3", "--embedding-size", "8", "--hidden-size", "12",
                                      "--tokenizer", "whitespace", "--threads", "1"] + (kind == "vae" ? ["--latent-size", "4"] : []))
            guard train.status == 0 else { throw TrainingFailed(message: train.error) }
        }
        let trainGPT = try runQuill(["train", "gpt", "--corpus", corpus, "--output", gpt, "--steps", "3", "--n-layer", "1",
                                     "--n-head", "2", "--n-embd", "8", "--block-size", "8", "--batch-size", "2", "--threads", "1"])
        guard trainGPT.status == 0 else { throw TrainingFailed(message: trainGPT.error) }
        return Models(directory: directory, corpus: corpus, pairs: pairs, vae: vae, lm: lm, gpt: gpt)
    }

    struct TrainingFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "training a tiny model failed: \(message)" }
    }

    /// The figures `quill eval` prints as JSON for `arguments` after the VAE, its corpus and --json.
    static func figures(_ arguments: [String]) throws -> [String: Double] {
        let models = try Self.models.get()
        let run = try runQuill(["eval", models.vae, "--corpus", models.corpus, "--samples", "2", "--json", "--threads", "1"]
                               + arguments)
        #expect(run.status == 0, "\(run.error)")
        let object = try JSONSerialization.jsonObject(with: Data(run.output.utf8)) as? [String: Any] ?? [:]
        return object.compactMapValues { ($0 as? NSNumber)?.doubleValue }
    }

    /// The GPT (block size 8) scores the first 8 predictions of the longer sentences.
    @Test(arguments: ["lm", "gpt"])
    func pairsWithAReferenceGiveEveryFigureInRange(reference: String) throws {
        let models = try Self.models.get()
        let figures = try Self.figures(["--pairs", models.pairs, "--steps", "4", "--reference", reference == "lm" ? models.lm : models.gpt])
        #expect(figures["pairs"] == 2 && figures["interpolation_steps"] == 4 && figures["decode_beam"] == 1)
        for key in ["endpoint_exact", "monotone_share", "fluent_share", "exact_reconstruction_rate"] {
            #expect((0...1).contains(figures[key] ?? -1), "\(key) = \(String(describing: figures[key]))")
        }
        #expect((1...5).contains(figures["distinct_steps"] ?? 0))
        #expect((0...100).contains(figures["reconstruction_bleu"] ?? -1))
        #expect((figures["fluency_threshold"] ?? 0) > 0)
    }

    @Test func greedyDecodingIsNamedAndPairsAreOptional() throws {
        let figures = try Self.figures(["--decode", "greedy"])
        #expect(figures["decode_beam"] == 0 && figures["reconstruction_bleu"] != nil)
        #expect(figures["pairs"] == nil && figures["endpoint_exact"] == nil)
    }

    struct BadRun: CustomTestStringConvertible, Sendable {
        let name: String
        let pairsText: String?
        /// More arguments, where PAIRS and VAE stand for the good pairs file and the VAE.
        let extra: [String]
        let status: Int32
        let message: String
        var testDescription: String { name }
    }

    static let badRuns = [
        BadRun(name: "a line with two tabs", pairsText: "the cat sat\ta dog ran\nthe cat\ta\tdog\n", extra: [], status: 65,
               message: "bad.tsv:2: the line has 2 tabs, not 1"),
        BadRun(name: "a line with no tab", pairsText: "the cat sat a dog ran\n", extra: [], status: 65,
               message: "bad.tsv:1: the line has 0 tabs, not 1"),
        BadRun(name: "an empty file", pairsText: "", extra: [], status: 65, message: "bad.tsv has no sentence pairs"),
        BadRun(name: "a VAE as the reference", pairsText: nil, extra: ["--pairs", "PAIRS", "--reference", "VAE"], status: 64,
               message: "--reference needs lm or gpt"),
        BadRun(name: "sampling instead of decoding", pairsText: nil, extra: ["--decode", "sample"], status: 64,
               message: "The value 'sample' is invalid for '--decode <decode>'"),
        BadRun(name: "slerp without pairs", pairsText: nil, extra: ["--slerp"], status: 64, message: "--pairs FILE"),
    ]

    @Test(arguments: badRuns)
    func badInputIsRefusedWithTheFix(_ bad: BadRun) throws {
        let models = try Self.models.get()
        var arguments = ["eval", models.vae, "--corpus", models.corpus, "--samples", "2", "--threads", "1"]
        if let text = bad.pairsText { arguments += ["--pairs", try models.directory.write(text, to: "bad.tsv")] }
        arguments += bad.extra.map { $0 == "VAE" ? models.vae : $0 == "PAIRS" ? models.pairs : $0 }
        let run = try runQuill(arguments)
        #expect(run.status == bad.status, "\(run.error)")
        #expect(run.error.contains(bad.message), "\(run.error)")
        #expect(run.output.isEmpty)
    }

    @Test func aLanguageModelRefusesPairs() throws {
        let models = try Self.models.get()
        let run = try runQuill(["eval", models.lm, "--corpus", models.corpus, "--pairs", models.pairs])
        #expect(run.status == 64 && run.error.contains("needs vae or hvae"), "\(run.error)")
    }
}
