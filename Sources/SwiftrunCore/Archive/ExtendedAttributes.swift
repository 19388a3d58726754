import CShims
import Glibc

/// A file's extended attributes as a layer carries them (SCHILY.xattr):
/// overlayfs's own trusted.overlay.* are not the file's.
enum ExtendedAttributes {
    /// Those of `name` under `dirFD`, not followed if a symlink.
    static func of(_ name: String, in dirFD: Int32) -> [(name: String, value: [UInt8])] {
        var names = [CChar](repeating: 0, count: 65536)
        let length = sr_llistxattr_at(dirFD, name, &names, names.count)
        guard length > 0 else { return [] }
        let list = names[0..<length].split(separator: 0).map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return list.filter { !$0.hasPrefix(Whiteout.overlayXattrPrefix) }.compactMap { attribute in
            var value = [UInt8](repeating: 0, count: 65536)
            let n = sr_fgetxattr_at(dirFD, name, attribute, &value, value.count)
            return n >= 0 ? (attribute, Array(value[0..<n])) : nil
        }
    }
}
