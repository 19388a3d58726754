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
    private var started = false

    init(_ body: @escaping () -> Result) {
        job = Job(body)
        started = startThread()
        // Without a thread the work runs here, so join() still has a result.
        if !started { job.run() }
    }

    /// A thread, or nil (the body not run) when none can be made.
    private init?(onThread body: @escaping () -> Result) {
        job = Job(body)
        started = startThread()
        if !started { return nil }
    }

    /// `body` on a new thread while `meanwhile` runs on this one: both
    /// results, once both are done. nil, with neither run, when no thread
    /// can be made. The closures need not escape: the thread is joined here.
    static func alongside<Meanwhile>(_ body: () -> Result, meanwhile: () -> Meanwhile) -> (Result, Meanwhile)? {
        withoutActuallyEscaping(body) { body in
            guard let worker = Worker(onThread: body) else { return nil }
            let other = meanwhile()
            return (worker.join(), other)
        }
    }

    private func startThread() -> Bool {
        let context = Unmanaged.passRetained(RunnableBox(job)).toOpaque()
        // Signals stay with the threads that wait for them (run's
        // SignalForwarder blocks them in its own thread only): a new thread
        // inherits its creator's mask, so it is made with every one blocked.
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        let made =
            pthread_create(
                &thread, nil,
                { context in
                    Unmanaged<RunnableBox>.fromOpaque(context!).takeRetainedValue().job.run()
                    return nil
                }, context) == 0
        if !made { Unmanaged<RunnableBox>.fromOpaque(context).release() }
        return made
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
