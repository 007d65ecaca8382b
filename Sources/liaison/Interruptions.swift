import ArgumentParser
import Dispatch
import Foundation
import LiaisonCore

/// Runs a long command that stops cleanly on Ctrl-C (SIGINT) or SIGTERM.
///
/// The first signal asks `body` to stop between batches, so that it can say what was kept; the
/// command then exits with the shell's status for that signal (130 for Ctrl-C, 143 for SIGTERM).
/// A second signal stops the process at once: SQLite drops a transaction that did not commit.
func stoppingOnInterrupt(_ body: (Interruption) throws -> Void) throws {
    let interruption = Interruption()
    let signals = [SIGINT, SIGTERM]
    let sources = signals.map { number in
        // A dispatch source sees the signal only once its default action (ending the process) is off.
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler {
            guard !interruption.isRequested else {
                FileHandle.standardError.write(Data("\nInterrupted again: stopped at once; what was not yet saved was dropped.\n".utf8))
                _exit(128 + number)
            }
            interruption.request(signal: number)
        }
        source.resume()
        return source
    }
    defer {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
    do {
        try body(interruption)
    } catch let error as LiaisonError where error.code == .interrupted {
        // A progress line may be showing.
        if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        throw ExitCode(128 + max(interruption.signal, SIGINT))
    }
}
