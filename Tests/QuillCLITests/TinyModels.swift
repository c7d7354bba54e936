import Foundation
import TestSupport

/// Tiny models trained once through the CLI and shared by the end-to-end suites.
enum TinyModels {
    static let corpus = """
        in the beginning god created the heaven and the earth .
        and the earth was without form , and void .
        and god said , let there be light : and there was light .
        and god saw the light , that it was good .
        and god called the light day , and the darkness he called night .
        and the evening and the morning were the first day .
        jesus wept .
        the lord is my shepherd ; i shall not want .

        """

    struct Trained {
        let directory: ScratchDirectory
        let corpus: String
        let charRNN: String
        let vae: String
    }

    /// Trains a char RNN and a sentence VAE for a few steps (once per test process).
    static let trained: Result<Trained, Error> = Result {
        let directory = try ScratchDirectory("quill-cli")
        let corpusPath = try directory.write(String(repeating: corpus, count: 4), to: "corpus.txt")
        let charRNN = directory.file("char.safetensors"), vae = directory.file("vae.safetensors")
        let char = try runQuill(["train", "char-rnn", "--corpus", corpusPath, "--output", charRNN, "--steps", "4",
                                 "--batch-size", "2", "--seq-len", "16", "--hidden-size", "16",
                                 "--embedding-size", "8", "--layers", "1", "--threads", "1"])
        guard char.status == 0 else { throw TrainingFailed(message: char.error) }
        let sentence = try runQuill(["train", "vae", "--corpus", corpusPath, "--valid", corpusPath, "--output", vae,
                                     "--steps", "4", "--batch-size", "4", "--hidden-size", "16",
                                     "--embedding-size", "8", "--latent-size", "4", "--threads", "1"])
        guard sentence.status == 0 else { throw TrainingFailed(message: sentence.error) }
        return Trained(directory: directory, corpus: corpusPath, charRNN: charRNN, vae: vae)
    }

    struct TrainingFailed: Error, CustomStringConvertible {
        let message: String
        var description: String { "training a tiny model failed: \(message)" }
    }
}
