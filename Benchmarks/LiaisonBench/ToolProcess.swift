import Foundation
import LiaisonCore

// Running the built `liaison` as a separate process, as an officer runs it.

/// Starts the tool with standard output to /dev/null and waits for it; `whileRunning`, if given, is
/// called with the child's pid every 20 ms until it exits. Returns the exit status. posix_spawn and
/// waitpid: Foundation's Process polls for the exit and would add its own delay.
@discardableResult
func runQuietly(_ arguments: [String], whileRunning: ((pid_t) -> Void)? = nil) -> Int32 {
    let devNull = open("/dev/null", O_WRONLY)
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    posix_spawn_file_actions_adddup2(&actions, devNull, STDOUT_FILENO)
    let argv = ([cliPath] + arguments).map { strdup($0) } + [nil]
    defer {
        argv.forEach { free($0) }
        posix_spawn_file_actions_destroy(&actions)
        close(devNull)
    }
    var pid: pid_t = 0
    var status: Int32 = 0
    guard posix_spawn(&pid, cliPath, &actions, nil, argv, environ) == 0 else { return -1 }
    if let whileRunning {
        while waitpid(pid, &status, WNOHANG) == 0 {
            whileRunning(pid)
            usleep(20_000)
        }
    } else {
        waitpid(pid, &status, 0)
    }
    // A process ended by a signal (killed when memory ran out) has no exit status.
    return status & 0x7f == 0 ? status >> 8 : -1
}

/// Runs the tool and returns what it wrote to standard output; an exit other than 0 is an error.
func runCapturing(_ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: cliPath)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationReason == .exit, process.terminationStatus == 0 else {
        throw LiaisonError(.storage, "liaison \(arguments.prefix(2).joined(separator: " ")) ended with status \(process.terminationStatus)")
    }
    return data
}

/// When the tool was built: the figures are that build's, which may be older than the sources.
func builtAt(_ tool: String) -> String {
    guard let date = (try? FileManager.default.attributesOfItem(atPath: tool))?[.modificationDate] as? Date else { return "at an unknown time" }
    return "on " + date.formatted(.iso8601)
}
