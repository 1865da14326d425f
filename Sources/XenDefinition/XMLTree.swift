import CLibXML2

/// An XML document read with libxml2 into plain values. The XML is untrusted (it comes from
/// another host): no network (XML_PARSE_NONET), no DTD loaded, no entity substituted, and a
/// document with a DOCTYPE is refused outright — virsh never writes one, and a DTD's entities
/// are how XML attacks expand or read files.
struct XMLElement: Sendable, Equatable {
    var name: String
    var attributes: [String: String]
    var children: [XMLElement]
    /// The element's own text (its text and CDATA children, joined), not its descendants'.
    var text: String

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }
    func children(_ name: String) -> [XMLElement] { children.filter { $0.name == name } }
    subscript(attribute: String) -> String? { attributes[attribute] }

    /// The trimmed text of the child `name`, nil when absent or empty.
    func childText(_ name: String) -> String? {
        child(name).map(\.text.trimmingBlanks).flatMap { $0.isEmpty ? nil : $0 }
    }

    static func parse(_ text: String) throws(XenDefinitionError) -> XMLElement {
        let options = XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue
        let bytes = Array(text.utf8)
        guard bytes.count < Int32.max else { throw XenDefinitionError("the XML is too big") }
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                xmlReadMemory($0, Int32(buffer.count), "definition.xml", nil, Int32(options))
            }
        }
        guard let document else {
            if let error = xmlGetLastError(), let message = error.pointee.message {
                throw XenDefinitionError(
                    "not well-formed XML: " + String(cString: message).trimmingBlanks, line: Int(error.pointee.line))
            }
            throw XenDefinitionError("not well-formed XML")
        }
        defer { xmlFreeDoc(document) }
        if document.pointee.intSubset != nil || document.pointee.extSubset != nil {
            throw XenDefinitionError(
                "the XML has a DOCTYPE; `virsh dumpxml` writes none, and xen2kvm reads no DTD from a file it does "
                    + "not trust: remove the DOCTYPE")
        }
        guard let root = xmlDocGetRootElement(document) else { throw XenDefinitionError("the XML has no element") }
        return element(root)
    }

    private static func element(_ node: xmlNodePtr) -> XMLElement {
        var attributes: [String: String] = [:]
        var attribute = node.pointee.properties
        while let current = attribute {
            let name = String(cString: current.pointee.name)
            attributes[name] = textOf(current.pointee.children)
            attribute = current.pointee.next
        }
        var children: [XMLElement] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { children.append(element(current)) }
            child = current.pointee.next
        }
        return XMLElement(
            name: String(cString: node.pointee.name), attributes: attributes, children: children,
            text: textOf(node.pointee.children))
    }

    /// The text and CDATA nodes of a sibling list; an entity reference (never expanded) adds nothing.
    private static func textOf(_ first: xmlNodePtr?) -> String {
        var text = ""
        var node = first
        while let current = node {
            if current.pointee.type == XML_TEXT_NODE || current.pointee.type == XML_CDATA_SECTION_NODE,
                let content = current.pointee.content
            {
                text += String(cString: content)
            }
            node = current.pointee.next
        }
        return text
    }
}
