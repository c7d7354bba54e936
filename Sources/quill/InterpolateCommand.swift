import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTraining

struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Walks a sentence VAE's latent space from one sentence to another.",
        discussion: """
            Both sentences are encoded to their posterior means; the walk goes along the straight \
            line between them (or the great circle with --slerp) in --steps steps, and each point is \
            decoded by beam search (unless --decode says otherwise). Prints one line per point: its \
            position from 0 to 1, a tab, and the sentence.
            """)

    @Argument(help: "The model file (.safetensors) of a vae or hvae.")
    var model: String

    @Argument(help: "The sentence to start from.")
    var first: String

    @Argument(help: "The sentence to end at.")
    var second: String

    @Option(help: "Steps between the two sentences; the walk prints steps + 1 points.")
    var steps = 8

    @Flag(help: "Walk the great circle (spherical interpolation) instead of the straight line.")
    var slerp = false

    @OptionGroup var sampling: SamplingOptionGroup

    @Option(help: "Threads for kernels and BLAS (default: all cores).")
    var threads: Int?

    func validate() throws {
        try requireSizes(["--steps": steps])
    }

    func run() throws {
        try runReportingErrors {
            if let threads { Threads.count = threads }
            let (loaded, vae) = try loadSentenceAutoencoder(model, purpose: "interpolate")
            warnAboutUnknownWords(in: [first, second], of: loaded)
            var generator = RandomGenerator(seed: sampling.effectiveSeed)
            let points = try vae.interpolate(from: first, to: second, steps: steps, spherical: slerp,
                                             options: sampling.options(defaultDecoding: .beam), generator: &generator)
            for point in points { print(String(format: "%.3f", point.position) + "\t" + point.sentence) }
        }
    }
}
