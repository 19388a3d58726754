import Glibc

/// A detached POSIX thread for one request. Requests block for as long as
/// a container runs (wait, logs -f), so a fixed pool would run out: fifty
/// concurrent `containers.run` hold a hundred of them. Threads cost their
/// stack's touched pages only.
enum RequestThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    static func start(_ body: @escaping () -> Void) {
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        // 1 MiB: the API's work is shallow; the default 8 MiB is address space wasted.
        pthread_attr_setstacksize(&attributes, 1 << 20)
        var thread = pthread_t()
        let created = pthread_create(
            &thread, &attributes,
            { context in
                Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, context)
        // Without a thread the request is answered here, late but answered.
        if created != 0 { Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body() }
    }
}
