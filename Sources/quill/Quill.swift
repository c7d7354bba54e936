import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import QuillTensor
import QuillTraining

@main
struct Quill: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quill",
        abstract: "Train, sample and explore small text-generation models.",
        discussion: """
            Results go to stdout; progress and logs go to stderr. Exit codes: 0 success, \
            1 failure, 64 usage error, 65 bad input data, 66 missing input file, 130 interrupted.
            """,
        subcommands: [
            VocabCommand.self, TokenizeCommand.self, SegmentCommand.self,
            TrainCommand.self, EvalCommand.self, SampleCommand.self, ReconstructCommand.self,
            InterpolateCommand.self, ReplCommand.self, InfoCommand.self, ReportCommand.self, ExportCommand.self,
        ])

    /// Runs the command line; a tensor the system has no memory for (sizes too large for this
    /// machine) ends the run with one line and exit code 1, not a crash.
    static func main() {
        TensorStorage.outOfMemory = { bytes in
            let size = bytes == .max ? "more bytes than a 64-bit size can count" : "\(format(Double(bytes) / 1e9, 1)) GB"
            FileHandle.standardError.write(Data("quill: out of memory: a tensor needs \(size). Lower the model's sizes or --batch-size.\n".utf8))
            Glibc.exit(1)
        }
        main(nil)
        // `print` leaves results in C's buffer; a command that succeeded but whose results
        // could not all be written (a full disk) fails instead of exiting 0.
        do { try StandardOutput.flush() } catch { Glibc.exit(report(error).rawValue) }
    }
}
