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
    let restore = catchSignals(for: interruption)
    defer { restore() }
    do {
        try body(interruption)
    } catch let error as LiaisonError where error.code == .interrupted {
        throw exit(after: error, interruption)
    }
}

/// ``stoppingOnInterrupt(_:)`` for work that awaits, such as a sync.
func stoppingOnInterrupt(_ body: (Interruption) async throws -> Void) async throws {
    let interruption = Interruption()
    let restore = catchSignals(for: interruption)
    defer { restore() }
    do {
        try await body(interruption)
    } catch let error as LiaisonError where error.code == .interrupted {
        throw exit(after: error, interruption)
    }
}

/// Turns SIGINT and SIGTERM into a request on `interruption`; the result puts them back.
private func catchSignals(for interruption: Interruption) -> () -> Void {
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
    return {
        for source in sources { source.cancel() }
        for number in signals { signal(number, SIG_DFL) }
    }
}

/// Says what was kept, and gives the shell's status for the signal.
private func exit(after error: LiaisonError, _ interruption: Interruption) -> ExitCode {
    // A progress line may be showing.
    if isatty(STDERR_FILENO) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    return ExitCode(128 + max(interruption.signal, SIGINT))
}
