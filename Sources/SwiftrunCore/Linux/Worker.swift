import Glibc

/// A POSIX thread that runs one closure and hands back its result on
/// `join()`. Pulls block in read, write and libcurl's transfer loop, which
/// Swift's cooperative pool (one thread per core) must not be given, so
/// each concurrent transfer gets a thread of its own; a container's start
/// writes its config.json on one while it clones the child.
final class Worker<Result>: @unchecked Sendable {
    private final class Job: Runnable {
        let body: () -> Result
        var result: Result?
        init(_ body: @escaping () -> Result) { self.body = body }
        func run() { result = body() }
    }

    private let job: Job
    private var thread = pthread_t()
    private var started: Bool

    init(_ body: @escaping () -> Result) {
        job = Job(body)
        let context = Unmanaged.passRetained(RunnableBox(job)).toOpaque()
        // Signals stay with the threads that wait for them (run's
        // SignalForwarder blocks them in its own thread only): a new thread
        // inherits its creator's mask, so it is made with every one blocked.
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        started =
            pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<RunnableBox>.fromOpaque(context!).takeRetainedValue().job.run()
                    return nil
                }, context) == 0
        // Without a thread the work runs here, so join() still has a result.
        if !started {
            Unmanaged<RunnableBox>.fromOpaque(context).release()
            job.run()
        }
    }

    /// Waits for the thread and returns what the closure returned; again
    /// on later calls. Not from two threads at once.
    func join() -> Result {
        if started {
            pthread_join(thread, nil)
            started = false
        }
        return job.result!
    }
}

/// What a thread's entry point, a C function outside any generic context, can call.
private protocol Runnable: AnyObject { func run() }

private final class RunnableBox {
    let job: any Runnable
    init(_ job: any Runnable) { self.job = job }
}
