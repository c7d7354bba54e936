import ArgumentParser

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
            InterpolateCommand.self, ReplCommand.self, InfoCommand.self, ReportCommand.self,
        ])
}
