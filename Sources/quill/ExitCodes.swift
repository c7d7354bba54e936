import ArgumentParser
import Foundation
import QuillModels
import QuillTensor
import QuillTraining

/// Exit codes from BSD's sysexits.h, so scripts can tell a usage error from bad data.
enum Exit {
    static let failure = ExitCode(1)
    static let usage = ExitCode(64)
    static let dataError = ExitCode(65)
    static let noInput = ExitCode(66)
    static let interrupted = ExitCode(130)
}

/// Prints `error` as one `quill: …` line on stderr and returns the exit code that fits it.
func report(_ error: Error) -> ExitCode {
    if let code = error as? ExitCode { return code }
    let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
    FileHandle.standardError.write(Data("quill: \(message)\n".utf8))
    if let classified = error as? ClassifiedError { return classified.exitCode }
    if error is ValidationError { return Exit.usage }
    return Exit.failure
}

/// An error that knows which exit code it deserves.
protocol ClassifiedError: Error {
    var exitCode: ExitCode { get }
}

/// Runs `body`, turning any error into one line on stderr and an exit code.
func runReportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch { throw report(error) }
}

/// A subcommand whose issue has not landed yet: it says so in one line and exits 64.
func notBuiltYet(_ name: String, issue: Int) -> ExitCode {
    FileHandle.standardError.write(Data("quill: `\(name)` is not built yet (issue #\(issue)).\n".utf8))
    return Exit.usage
}

extension ModelFileError: ClassifiedError {
    var exitCode: ExitCode {
        switch self {
        case .missing: Exit.noInput
        case .wrongKind: Exit.usage
        default: Exit.dataError
        }
    }
}

extension CheckpointError: ClassifiedError {
    var exitCode: ExitCode {
        switch self {
        case .fileNotFound, .unreadable: Exit.noInput
        case .writeFailed: Exit.failure
        default: Exit.dataError
        }
    }
}

extension TrainingError: ClassifiedError {
    var exitCode: ExitCode {
        switch self {
        case .missingFile, .resumeWithoutCheckpoint: Exit.noInput
        case .emptyCorpus, .corpusTooSmall, .tooFewSentencesToHoldOut, .corpusTooShortToEvaluate, .shorterThanASequence,
             .nonFiniteLoss: Exit.dataError
        case .invalidOption, .wrongModelKind: Exit.usage
        case .cannotWrite: Exit.failure
        }
    }
}

extension GPTError: ClassifiedError {
    var exitCode: ExitCode {
        switch self {
        case .emptyPrompt, .beamSearch, .noSentenceBoundary: Exit.usage
        default: Exit.dataError
        }
    }
}

extension CharRNNError: ClassifiedError {
    var exitCode: ExitCode {
        switch self {
        case .beamSearch: Exit.usage
        case .tokenizerMismatch: Exit.dataError
        }
    }
}

extension SentenceModelError: ClassifiedError {
    var exitCode: ExitCode {
        switch self {
        case .emptySentence: Exit.usage
        case .emptyCorpus, .invalidConfiguration, .tokenizerMismatch, .malformedPair, .noPairs: Exit.dataError
        }
    }
}
