import CShims

/// One record from the container child: a step done (with --explain) or
/// the step that failed, and the call it made, with its real arguments.
struct ChildRecord {
    let header: sr_report
    let call: String

    var step: String { String(cString: sr_step_name(header.step)) }
    var why: String { String(cString: sr_step_why(header.step)) }
    var manual: String { String(cString: sr_step_manual(header.step)) }
}
