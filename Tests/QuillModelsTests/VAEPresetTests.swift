import Foundation
import Testing
import TestSupport

/// `quill train vae --preset interpolate`, `--select-by` and `quill export`, end to end on a
/// tiny corpus through the built `quill` executable.
@Suite(.serialized) struct VAEPresetTests {
    /// Trains a tiny VAE with `flags` and returns the directory, the model path and the run.
    static func train(_ flags: [String], kind: String = "vae") throws -> (ScratchDirectory, String, QuillRun) {
        let directory = try ScratchDirectory("quill-preset")
        let corpus = directory.path + "/corpus.txt", model = directory.path + "/model.safetensors"
        try VAECommandTests.corpus.write(toFile: corpus, atomically: true, encoding: .utf8)
        let run = try runQuill(["train", kind, "--corpus", corpus, "--valid", corpus, "--output", model, "--steps", "4",
                                "--eval-interval", "2", "--batch-size", "3", "--embedding-size", "8", "--hidden-size", "12",
                                "--tokenizer", "whitespace", "--threads", "1"] + flags)
        return (directory, model, run)
    }

    /// The model's configuration as `quill info --json` prints it.
    static func configuration(of model: String) throws -> [String: Any] {
        let info = try runQuill(["info", model, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(info.output.utf8)) as? [String: Any]
        return object?["configuration"] as? [String: Any] ?? [:]
    }

    @Test func interpolatePresetSetsItsRecipe() throws {
        let (directory, model, run) = try Self.train(["--preset", "interpolate"])
        _ = directory
        #expect(run.status == 0, "\(run.error)")
        let configuration = try Self.configuration(of: model)
        #expect(configuration["bidirectional"] as? Bool == true)
        #expect(configuration["conditioning"] as? String == "concat")
        #expect(configuration["latent_size"] as? Int == 128)
        #expect(run.error.contains("1 × z 128 (concat)"))
    }

    /// A flag given beside the preset wins over the preset's value, in either order.
    @Test(arguments: [["--preset", "interpolate", "--latent-size", "6"], ["--latent-size=6", "--preset", "interpolate"]])
    func flagsBesideThePresetWin(flags: [String]) throws {
        let (directory, model, run) = try Self.train(flags + ["--conditioning", "initial-state"])
        _ = directory
        #expect(run.status == 0, "\(run.error)")
        let configuration = try Self.configuration(of: model)
        #expect(configuration["latent_size"] as? Int == 6)
        #expect(configuration["conditioning"] as? String == "initial-state")
        #expect(configuration["bidirectional"] as? Bool == true)
    }

    /// With `--select-by reconstruction` the logged `val_loss` is the validation reconstruction;
    /// by default it is the −ELBO, reconstruction plus KL.
    @Test(arguments: [("reconstruction", true), ("elbo", false)])
    func selectionChoosesWhatValLossMeasures(selection: String, isReconstruction: Bool) throws {
        let (directory, _, run) = try Self.train(["--select-by", selection, "--latent-size", "4"])
        #expect(run.status == 0, "\(run.error)")
        let log = try String(contentsOfFile: directory.path + "/model.metrics.jsonl", encoding: .utf8)
        let evaluated = log.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }.filter { $0["val_loss"] != nil }
        #expect(!evaluated.isEmpty)
        for row in evaluated {
            let loss = row["val_loss"] as! Double, reconstruction = row["val_reconstruction"] as! Double
            let kl = row["val_kl"] as! Double
            #expect(kl > 0)
            #expect(abs(loss - (isReconstruction ? reconstruction : reconstruction + kl)) < 1e-6 * max(1, loss))
        }
    }

    @Test func theLanguageModelRefusesThePreset() throws {
        let (directory, _, run) = try Self.train(["--preset", "interpolate"], kind: "lm")
        _ = directory
        #expect(run.status == 64)
        #expect(run.error.contains("--preset applies to vae and hvae"))
    }

    /// A float16 export is a third of the size or less (no optimizer state, half the bytes per
    /// weight) and reads back; the huggingface format says it is not built.
    @Test func exportWritesAHalfPrecisionModel() throws {
        let (directory, model, run) = try Self.train(["--latent-size", "4"])
        #expect(run.status == 0, "\(run.error)")
        let half = directory.path + "/half.safetensors"
        let export = try runQuill(["export", model, "--precision", "float16", "--output", half])
        #expect(export.status == 0, "\(export.error)")
        let sizes = try [model, half].map { try FileManager.default.attributesOfItem(atPath: $0)[.size] as! Int }
        #expect(sizes[1] * 3 < sizes[0])
        let exported = try runQuill(["reconstruct", half, "the cat sat on the mat", "--decode", "greedy", "--max-tokens", "8"])
        #expect(exported.status == 0, "\(exported.error)")
        #expect(!exported.output.isEmpty)
        let huggingFace = try runQuill(["export", model, "--format", "huggingface", "--output", directory.path + "/hf"])
        #expect(huggingFace.status == 64 && huggingFace.error.contains("not built yet"))
    }
}
