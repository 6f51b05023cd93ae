#!/usr/bin/env python3
"""Generate turnout's Kafka message codec from wire/schema/*.def.

The schema format is described in wire/schema/README.md. For every message
this writes C types, an init (defaults), a decoder and an encoder into
wire_msgs.h / wire_msgs.c, and test support (a random filler and a deep
comparison for every message x version) into wire_msgs_fill.c. Generated
files go to the build folder and are never committed.

Usage: codegen.py OUTDIR SCHEMA.def...
"""
import os
import re
import sys

PRIM = {
    # type: (C type, reader/writer suffix, fixed size or None)
    'bool': ('bool', 'bool', 1),
    'int8': ('int8_t', 'int8', 1),
    'int16': ('int16_t', 'int16', 2),
    'uint16': ('uint16_t', 'uint16', 2),
    'int32': ('int32_t', 'int32', 4),
    'uint32': ('uint32_t', 'uint32', 4),
    'int64': ('int64_t', 'int64', 8),
    'float64': ('double', 'float64', 8),
    'uuid': ('wire_uuid', 'uuid', 16),
    'string': ('wire_str', 'str', None),
    'bytes': ('wire_bytes', 'bytes', None),
    'records': ('wire_bytes', 'records', None),
}
C_KEYWORDS = {'auto', 'break', 'case', 'char', 'const', 'continue', 'default', 'do', 'double',
              'else', 'enum', 'extern', 'float', 'for', 'goto', 'if', 'inline', 'int', 'long',
              'register', 'restrict', 'return', 'short', 'signed', 'sizeof', 'static', 'struct',
              'switch', 'typedef', 'union', 'unsigned', 'void', 'volatile', 'while'}


class SchemaError(Exception):
    pass


def snake(name):
    s = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', name)
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', s)
    return s.lower()


def parse_versions(text, where):
    """'3+', '2-7', '5', 'none' -> (lo, hi) with hi None for open, or None."""
    if text == 'none':
        return None
    m = re.fullmatch(r'(\d+)\+', text)
    if m:
        return (int(m.group(1)), None)
    m = re.fullmatch(r'(\d+)-(\d+)', text)
    if m:
        lo, hi = int(m.group(1)), int(m.group(2))
        if hi < lo:
            raise SchemaError('%s: empty version range %s' % (where, text))
        return (lo, hi)
    m = re.fullmatch(r'(\d+)', text)
    if m:
        return (int(m.group(1)), int(m.group(1)))
    raise SchemaError('%s: bad version range %r' % (where, text))


def intersect(a, b):
    if a is None or b is None:
        return None
    lo = max(a[0], b[0])
    his = [h for h in (a[1], b[1]) if h is not None]
    hi = min(his) if his else None
    if hi is not None and hi < lo:
        return None
    return (lo, hi)


class Field:
    def __init__(self, name, typ, versions, where):
        self.name = name
        self.cname = snake(name)
        if self.cname in C_KEYWORDS:
            self.cname += '_'
        self.array = typ.startswith('[]')
        self.base = typ[2:] if self.array else typ
        self.struct = None          # Struct when base is a struct type
        self.versions = versions
        self.nullable = None
        self.tag = None
        self.tagversions = None
        self.noflex = False
        self.default = None
        self.where = where


class Struct:
    def __init__(self, name, ctype, path):
        self.name = name
        self.ctype = ctype
        self.path = path            # for error messages
        self.fields = []

    def tagged(self):
        return sorted((f for f in self.fields if f.tag is not None), key=lambda f: f.tag)

    def plain(self):
        return [f for f in self.fields if f.tag is None]


class Msg:
    def __init__(self, kind, name, key, versions, flex, prefix, display):
        self.schema = None          # stem of the .def file it came from
        self.kind = kind            # 'req', 'resp' or 'data'
        self.name = name
        self.key = key
        self.versions = versions
        self.flex = flex            # first flexible version or None
        self.prefix = prefix        # C prefix, e.g. wire_metadata_req
        self.display = display      # e.g. MetadataRequest
        self.root = Struct(display, prefix, display)
        self.structs = {}           # local struct name -> Struct
        self.order = []             # structs, children before parents


def parse_file(path):
    msgs = []
    api = None
    cur = None
    stack = []                      # (indent, Struct)
    last_field = None
    with open(path) as fh:
        lines = fh.read().split('\n')
    for lineno, raw in enumerate(lines, 1):
        where = '%s:%d' % (path, lineno)
        line = raw.split('#', 1)[0].rstrip()
        if not line.strip():
            continue
        if '\t' in line:
            raise SchemaError('%s: tabs are not allowed' % where)
        indent = len(line) - len(line.lstrip(' '))
        tok = line.split()
        if indent == 0:
            if tok[0] == 'api':
                if len(tok) != 4 or tok[2] != 'key':
                    raise SchemaError('%s: expected "api NAME key N"' % where)
                api = (tok[1], int(tok[3]))
                cur = None
                continue
            if tok[0] in ('request', 'response', 'data'):
                if tok[0] == 'data':
                    if len(tok) != 6 or tok[2] != 'versions' or tok[4] != 'flexible':
                        raise SchemaError('%s: expected "data NAME versions V flexible F"' % where)
                    name, kind, key, vtok, ftok = tok[1], 'data', -1, tok[3], tok[5]
                    prefix = 'wire_' + snake(name)
                    display = name
                else:
                    if api is None:
                        raise SchemaError('%s: %s before api' % (where, tok[0]))
                    if len(tok) != 5 or tok[1] != 'versions' or tok[3] != 'flexible':
                        raise SchemaError('%s: expected "%s versions V flexible F"' % (where, tok[0]))
                    name, key, vtok, ftok = api[0], api[1], tok[2], tok[4]
                    kind = 'req' if tok[0] == 'request' else 'resp'
                    prefix = 'wire_%s_%s' % (snake(name), kind)
                    display = name + ('Request' if kind == 'req' else 'Response')
                versions = parse_versions(vtok, where)
                if versions is None or versions[1] is None:
                    raise SchemaError('%s: message versions must be a closed range' % where)
                flex = parse_versions(ftok, where)
                if flex is not None and flex[1] is not None:
                    raise SchemaError('%s: flexible versions must be "N+" or "none"' % where)
                cur = Msg(kind, name, key, versions, flex[0] if flex else None, prefix, display)
                msgs.append(cur)
                stack = [(0, cur.root)]
                last_field = None
                continue
            raise SchemaError('%s: unknown directive %r' % (where, tok[0]))
        if cur is None:
            raise SchemaError('%s: field outside a message' % where)
        if indent % 2:
            raise SchemaError('%s: indent by two spaces' % where)
        level = indent // 2
        while stack and stack[-1][0] >= level:
            stack.pop()
        if not stack:
            raise SchemaError('%s: bad indentation' % where)
        if stack[-1][0] != level - 1:
            # first field of a nested struct: the previous field opens it
            if last_field is None or stack[-1][0] != level - 2 or last_field.struct is None or \
                    not getattr(last_field, 'opens', False):
                raise SchemaError('%s: unexpected indentation' % where)
            stack.append((level - 1, last_field.struct))
            last_field.opens = False
        parent = stack[-1][1]
        if len(tok) < 3:
            raise SchemaError('%s: expected "Name type versions [attrs]"' % where)
        f = Field(tok[0], tok[1], parse_versions(tok[2], where), where)
        if f.versions is None:
            raise SchemaError('%s: field versions cannot be none' % where)
        attrs = tok[3:]
        if len(attrs) % 2:
            raise SchemaError('%s: attributes come in pairs' % where)
        for k, v in zip(attrs[::2], attrs[1::2]):
            if k == 'nullable':
                f.nullable = parse_versions(v, where)
            elif k == 'tag':
                f.tag = int(v)
            elif k == 'tagversions':
                f.tagversions = parse_versions(v, where)
            elif k == 'flexible':
                if v != 'none':
                    raise SchemaError('%s: field-level flexible only takes "none"' % where)
                f.noflex = True
            elif k == 'default':
                f.default = v
            else:
                raise SchemaError('%s: unknown attribute %r' % (where, k))
        if any(g.name == f.name for g in parent.fields):
            raise SchemaError('%s: duplicate field %s' % (where, f.name))
        if f.tag is not None:
            if cur.flex is None:
                raise SchemaError('%s: tagged field in a message without flexible versions' % where)
            if f.tagversions is None:
                f.tagversions = f.versions
            if any(g.tag == f.tag for g in parent.fields):
                raise SchemaError('%s: duplicate tag %d' % (where, f.tag))
        if f.base not in PRIM:
            if not re.fullmatch(r'[A-Z][A-Za-z0-9]*', f.base):
                raise SchemaError('%s: unknown type %r' % (where, f.base))
            if f.base in cur.structs:
                f.struct = cur.structs[f.base]
                f.opens = False
            else:
                st = Struct(f.base, '%s_%s' % (cur.prefix, snake(f.base)),
                            '%s.%s' % (parent.path, f.name))
                cur.structs[f.base] = st
                f.struct = st
                f.opens = True
            if not f.array and f.nullable is not None:
                raise SchemaError('%s: nullable structs are not supported' % where)
        elif f.base == 'records' and f.array:
            raise SchemaError('%s: arrays of records are not supported' % where)
        parent.fields.append(f)
        last_field = f
    stem = os.path.splitext(os.path.basename(path))[0]
    for m in msgs:
        m.schema = stem
        for st in m.structs.values():
            if not st.fields:
                raise SchemaError('%s: struct %s has no fields' % (path, st.name))
        m.order = post_order(m.root)
    return msgs


def post_order(root):
    out, seen = [], set()

    def visit(st):
        for f in st.fields:
            if f.struct is not None and f.struct.ctype not in seen:
                seen.add(f.struct.ctype)
                visit(f.struct)
        out.append(st)
    visit(root)
    return out


# ---- C expression helpers ----

def cond(rng, msg):
    """C condition that version v lies in rng, simplified by the message range."""
    r = intersect(rng, msg.versions)
    if r is None:
        return '0'
    parts = []
    if r[0] > msg.versions[0]:
        parts.append('v >= %d' % r[0])
    if r[1] is not None and r[1] < msg.versions[1]:
        parts.append('v <= %d' % r[1])
    return ' && '.join(parts) if parts else '1'


def has_tags(msg):
    """True when some version of msg is flexible, so structs carry tags."""
    return flex_expr(msg) != '0'


def flex_expr(msg):
    if msg.flex is None or msg.flex > msg.versions[1]:
        return '0'
    if msg.flex <= msg.versions[0]:
        return '1'
    return 'v >= %d' % msg.flex


def compact(f):
    return 'false' if f.noflex else 'flex'


def ctype(f):
    if f.struct is not None:
        base = f.struct.ctype
    else:
        base = PRIM[f.base][0]
    if f.array:
        if f.struct is not None:
            return base + '_array'
        return 'wire_%s_array' % f.base.replace('records', 'bytes').replace('string', 'str')
    return base


def default_expr(f):
    d = f.default
    b = f.base
    if b in ('string', 'bytes', 'records'):
        if d == 'null':
            return 'wire_str_null()' if b == 'string' else '(wire_bytes){NULL, -1}'
        if d is None or d == '':
            return None
        raise SchemaError('%s: string defaults other than null are not supported' % f.where)
    if d is None:
        return None
    if b == 'bool':
        if d not in ('true', 'false'):
            raise SchemaError('%s: bool default must be true or false' % f.where)
        return d
    if b in ('int8', 'int16', 'int32', 'int64', 'uint16', 'uint32'):
        try:
            val = int(d, 0)
        except ValueError:
            raise SchemaError('%s: bad integer default %r' % (f.where, d))
        return '(%s)(%dLL)' % (PRIM[b][0], val)
    if b == 'float64':
        return '(%s)' % float(d)
    raise SchemaError('%s: default not supported for %s' % (f.where, b))


def min_size(f, msg):
    """C expression: fewest bytes field f takes when present."""
    if f.array:
        return '(flex ? 1 : 4)' if not f.noflex else '4'
    if f.struct is not None:
        return 'minsz_%s(v)' % f.struct.ctype
    size = PRIM[f.base][2]
    if size is not None:
        return str(size)
    wide = '4' if f.base != 'string' else '2'
    return '(flex ? 1 : %s)' % wide if not f.noflex else wide


# ---- code emission ----

class Out:
    def __init__(self):
        self.lines = []

    def __call__(self, text='', ind=0):
        for ln in text.split('\n'):
            self.lines.append(('\t' * ind + ln) if ln else '')

    def text(self):
        return '\n'.join(self.lines) + '\n'


def elem_read(f, rd, dst, msg):
    """Statements reading one value of f's base type into dst."""
    if f.struct is not None:
        return 'dec_%s(%s, v, a, &%s)' % (f.struct.ctype, rd, dst)
    suffix = PRIM[f.base][1]
    if f.base in ('string', 'bytes', 'records'):
        fn = 'bytes' if f.base == 'records' else suffix
        return 'wire_rd_%s(%s, %s, &%s)' % (fn, rd, compact(f), dst)
    return 'wire_rd_%s(%s, &%s)' % (suffix, rd, dst)


def null_ok(f, msg):
    return cond(f.nullable, msg) if f.nullable else '0'


def emit_read(o, f, msg, st, rd, ind):
    # Nullability is not enforced: a proxy forwards what peers send, and
    # real peers (librdkafka's mock among them) send null in fields the spec
    # calls non-nullable. The value is kept as null and re-encoded as null.
    path = '%s.%s' % (st.path, f.name)
    dst = 'm->' + f.cname
    if not f.array:
        call = elem_read(f, rd, dst, msg)
        o('if (%s)' % call, ind)
        o('\treturn wire_rd_at(%s, "%s");' % (rd, path), ind)
        return
    o('if (wire_rd_arrlen(%s, %s, &%s.n))' % (rd, compact(f), dst), ind)
    o('\treturn wire_rd_at(%s, "%s");' % (rd, path), ind)
    o('if (%s.n > 0) {' % dst, ind)
    o('\tif ((size_t)%s.n > wire_rd_left(%s) / %s) {' % (dst, rd, min_size_elem(f)), ind)
    o('\t\twire_rd_fail(%s, "array length exceeds input");' % rd, ind)
    o('\t\treturn wire_rd_at(%s, "%s");' % (rd, path), ind)
    o('\t}', ind)
    o('\t%s.v = wire_arena_calloc(a, (size_t)%s.n, sizeof(*%s.v));' % (dst, dst, dst), ind)
    o('\tif (!%s.v) {' % dst, ind)
    o('\t\twire_rd_fail(%s, "decoded message exceeds memory limit");' % rd, ind)
    o('\t\treturn wire_rd_at(%s, "%s");' % (rd, path), ind)
    o('\t}', ind)
    o('\tfor (int32_t i = 0; i < %s.n; i++)' % dst, ind)
    call = elem_read(f, rd, dst + '.v[i]', msg)
    o('\t\tif (%s)' % call, ind)
    o('\t\t\treturn wire_rd_at(%s, "%s");' % (rd, path), ind)
    o('}', ind)


def min_size_elem(f):
    if f.struct is not None:
        return 'minsz_%s(v)' % f.struct.ctype
    size = PRIM[f.base][2]
    if size is not None:
        return str(size)
    if f.noflex:
        return '2' if f.base == 'string' else '4'
    return '(flex ? 1u : %s)' % ('2u' if f.base == 'string' else '4u')


def elem_write(f, wr, val):
    if f.struct is not None:
        return 'enc_%s(%s, v, &%s)' % (f.struct.ctype, wr, val)
    suffix = PRIM[f.base][1]
    if f.base in ('string', 'bytes', 'records'):
        return 'wire_wr_%s(%s, %s, %s)' % (suffix, wr, compact(f), val)
    if f.base == 'uuid':
        return 'wire_wr_uuid(%s, &%s)' % (wr, val)
    return 'wire_wr_%s(%s, %s)' % (suffix, wr, val)


def emit_write(o, f, msg, st, wr, ind):
    src = 'm->' + f.cname
    if not f.array:
        o('if (%s)' % elem_write(f, wr, src), ind)
        o('\treturn -1;', ind)
        return
    o('if (wire_wr_arrlen(%s, %s, %s.n))' % (wr, compact(f), src), ind)
    o('\treturn -1;', ind)
    o('for (int32_t i = 0; i < %s.n; i++)' % src, ind)
    o('\tif (%s)' % elem_write(f, wr, src + '.v[i]'), ind)
    o('\t\treturn -1;', ind)


def each_plain_field(o, msg, st, emit):
    """Calls emit(field, indent) for every untagged field, inside a version
    check unless the field is in every version of the message."""
    for f in st.plain():
        c = cond(f.versions, msg)
        if c == '0':
            continue
        if c == '1':
            emit(f, 1)
        else:
            o('\tif (%s) {' % c)
            emit(f, 2)
            o('\t}')


def gen_struct_code(o, msg, st):
    t = st.ctype
    fx = flex_expr(msg)

    # defaults
    o('void %s_init(%s *m)' % (t, t))
    o('{')
    o('\tmemset(m, 0, sizeof(*m));', 0)
    for f in st.fields:
        if f.struct is not None and not f.array:
            o('\t%s_init(&m->%s);' % (f.struct.ctype, f.cname))
            continue
        if f.array:
            continue
        d = default_expr(f)
        if d is not None:
            o('\tm->%s = %s;' % (f.cname, d))
    o('}')
    o('')

    # minimum encoded size, to bound array counts before allocating
    o('WIRE_UNUSED static size_t minsz_%s(int16_t v)' % t)
    o('{')
    o('\tconst bool flex = %s;' % fx)
    o('\tsize_t n = flex ? 1 : 0;')
    for f in st.plain():
        c = cond(f.versions, msg)
        if c == '0':
            continue
        if c == '1':
            o('\tn += %s;' % min_size(f, msg))
        else:
            o('\tif (%s)' % c)
            o('\t\tn += %s;' % min_size(f, msg))
    o('\t(void)v;')
    o('\treturn n ? n : 1;')
    o('}')
    o('')

    # decoder
    o('static int dec_%s(wire_rd *r, int16_t v, wire_arena *a, %s *m)' % (t, t))
    o('{')
    o('\tconst bool flex = %s;' % fx)
    o('\t%s_init(m);' % t)
    o('\t(void)v;')
    o('\t(void)a;')
    each_plain_field(o, msg, st, lambda f, ind: emit_read(o, f, msg, st, 'r', ind))
    if has_tags(msg):
        o('\tif (flex) {')
        o('\t\tuint32_t ntags, last = 0;')
        o('\t\tif (wire_rd_uvarint(r, &ntags))')
        o('\t\t\treturn wire_rd_at(r, "%s.<tags>");' % st.path)
        o('\t\tif (ntags > wire_rd_left(r) / 2) {')
        o('\t\t\twire_rd_fail(r, "tagged field count exceeds input");')
        o('\t\t\treturn wire_rd_at(r, "%s.<tags>");' % st.path)
        o('\t\t}')
        o('\t\tfor (uint32_t t = 0; t < ntags; t++) {')
        o('\t\t\tuint32_t tag, size;')
        o('\t\t\tconst uint8_t *p;')
        o('\t\t\tif (wire_rd_uvarint(r, &tag) || wire_rd_uvarint(r, &size) ||')
        o('\t\t\t    (t > 0 && tag <= last && wire_rd_fail(r, "tagged fields out of order")) ||')
        o('\t\t\t    wire_rd_raw(r, size, &p))')
        o('\t\t\t\treturn wire_rd_at(r, "%s.<tags>");' % st.path)
        o('\t\t\tlast = tag;')
        tagged = st.tagged()
        live_dec = [f for f in tagged if cond(intersect(f.tagversions, f.versions), msg) != '0']
        if live_dec:
            o('\t\t\twire_rd sub;')
            o('\t\t\twire_rd_init(&sub, p, size);')
            o('\t\t\tswitch (tag) {')
            for f in live_dec:
                c = cond(intersect(f.tagversions, f.versions), msg)
                o('\t\t\tcase %d:' % f.tag)
                o('\t\t\t\tif (!(%s))' % c)
                o('\t\t\t\t\tbreak;')
                o('\t\t\t\tif (dec_tag_%s_%s(&sub, v, a, m) ||' % (t, f.cname))
                o('\t\t\t\t    (sub.pos != sub.len && wire_rd_fail(&sub, "tagged field longer than its value")))')
                o('\t\t\t\t\treturn wire_rd_sub_fail(r, &sub, size, "%s.%s");' % (st.path, f.name))
                o('\t\t\t\tm->has_%s = true;' % f.cname)
                o('\t\t\t\tcontinue;')
            o('\t\t\t}')
        o('\t\t\tif (wire_tags_add(&m->unknown_tags, a, ntags, tag, p, size)) {')
        o('\t\t\t\twire_rd_fail(r, "decoded message exceeds memory limit");')
        o('\t\t\t\treturn wire_rd_at(r, "%s.<tags>");' % st.path)
        o('\t\t\t}')
        o('\t\t}')
        o('\t}')
    o('\treturn 0;')
    o('}')
    o('')

    # encoder
    o('static int enc_%s(wire_wr *w, int16_t v, const %s *m)' % (t, t))
    o('{')
    o('\tconst bool flex = %s;' % fx)
    o('\t(void)v;')
    each_plain_field(o, msg, st, lambda f, ind: emit_write(o, f, msg, st, 'w', ind))
    if has_tags(msg):
        o('\tif (flex) {')
        o('\t\tuint32_t ntags = m->unknown_tags.n, u = 0;')
        live = []
        for f in tagged:
            c = cond(intersect(f.tagversions, f.versions), msg)
            if c != '0':
                live.append((f, c))
                o('\t\tconst bool put_%s = m->has_%s && (%s);' % (f.cname, f.cname, c))
                o('\t\tntags += put_%s;' % f.cname)
        o('\t\tif (wire_wr_uvarint(w, ntags))')
        o('\t\t\treturn -1;')
        for f, c in live:
            if f.tag > 0:
                o('\t\twhile (u < m->unknown_tags.n && m->unknown_tags.v[u].tag < %d)' % f.tag)
                o('\t\t\tif (wire_wr_rawtag(w, &m->unknown_tags.v[u++]))')
                o('\t\t\t\treturn -1;')
            o('\t\tif (put_%s) {' % f.cname)
            o('\t\t\twire_wr tw;')
            o('\t\t\twire_wr_init(&tw, false);')
            o('\t\t\tint rc = enc_tag_%s_%s(&tw, v, m);' % (t, f.cname))
            o('\t\t\trc = rc ? wire_wr_fail(w, tw.err, tw.where) : wire_wr_tagged(w, %d, &tw);' % f.tag)
            o('\t\t\twire_wr_free(&tw);')
            o('\t\t\tif (rc)')
            o('\t\t\t\treturn -1;')
            o('\t\t}')
        o('\t\twhile (u < m->unknown_tags.n)')
        o('\t\t\tif (wire_wr_rawtag(w, &m->unknown_tags.v[u++]))')
        o('\t\t\t\treturn -1;')
        o('\t}')
    o('\treturn w->err ? -1 : 0;')
    o('}')
    o('')



def gen_tag_writers(o, msg, st):
    """Per tagged field: its value decoded and encoded alone."""
    for f in st.tagged():
        if cond(intersect(f.tagversions, f.versions), msg) == '0':
            continue
        o('static int dec_tag_%s_%s(wire_rd *r, int16_t v, wire_arena *a, %s *m)' % (st.ctype, f.cname, st.ctype))
        o('{')
        o('\tconst bool flex = true;')
        o('\t(void)v;')
        o('\t(void)a;')
        o('\t(void)flex;')
        emit_read(o, f, msg, st, 'r', 1)
        o('\treturn 0;')
        o('}')
        o('')
        o('static int enc_tag_%s_%s(wire_wr *w, int16_t v, const %s *m)' % (st.ctype, f.cname, st.ctype))
        o('{')
        o('\tconst bool flex = true;')
        o('\t(void)v;')
        o('\t(void)flex;')
        emit_write(o, f, msg, st, 'w', 1)
        o('\treturn 0;')
        o('}')
        o('')


def gen_header(msgs):
    o = Out()
    o('/* Generated by wire/codegen.py from wire/schema. Do not edit. */')
    o('#ifndef TURNOUT_WIRE_MSGS_H')
    o('#define TURNOUT_WIRE_MSGS_H')
    o('')
    o('#include "wire/msg.h"')
    o('')
    for m in msgs:
        o('/* ---- %s (%s, versions %d-%d, flexible %s) ---- */' % (
            m.display, 'api key %d' % m.key if m.key >= 0 else 'embedded data',
            m.versions[0], m.versions[1], '%d+' % m.flex if m.flex is not None else 'none'))
        for st in m.order:
            o('typedef struct %s {' % st.ctype)
            for f in st.fields:
                note = 'v%s' % fmt_range(f.versions)
                if f.nullable:
                    note += ', nullable v%s' % fmt_range(f.nullable)
                if f.tag is not None:
                    note += ', tag %d' % f.tag
                if f.tag is not None:
                    o('\tbool has_%s; /* tagged field present */' % f.cname)
                o('\t%s %s; /* %s */' % (ctype(f), f.cname, note))
            if has_tags(m):
                o('\twire_tags unknown_tags; /* tagged fields kept as bytes */')
            o('} %s;' % st.ctype)
            o('typedef struct %s_array {' % st.ctype)
            o('\tint32_t n; /* -1 means null */')
            o('\t%s *v;' % st.ctype)
            o('} %s_array;' % st.ctype)
            o('')
        for st in m.order:
            o('void %s_init(%s *m);' % (st.ctype, st.ctype))
        t = m.prefix
        o('int %s_decode(wire_rd *r, int16_t v, wire_arena *a, %s *m);' % (t, t))
        o('int %s_encode(wire_wr *w, int16_t v, const %s *m);' % (t, t))
        o('')
    o('#endif')
    return o.text()


def fmt_range(r):
    return '%d+' % r[0] if r[1] is None else ('%d' % r[0] if r[0] == r[1] else '%d-%d' % r)


def gen_source(msgs):
    o = Out()
    o('/* Generated by wire/codegen.py from wire/schema. Do not edit. */')
    o('#include "wire_msgs.h"')
    o('')
    o('#include <string.h>')
    o('')
    o('#define WIRE_UNUSED __attribute__((unused))')
    o('')
    for m in msgs:
        o('/* ==== %s ==== */' % m.display)
        o('')
        for st in m.order:
            o('WIRE_UNUSED static size_t minsz_%s(int16_t v);' % st.ctype)
            o('static int dec_%s(wire_rd *r, int16_t v, wire_arena *a, %s *m);' % (st.ctype, st.ctype))
            o('static int enc_%s(wire_wr *w, int16_t v, const %s *m);' % (st.ctype, st.ctype))
            for f in st.tagged():
                if cond(intersect(f.tagversions, f.versions), m) != '0':
                    o('static int enc_tag_%s_%s(wire_wr *w, int16_t v, const %s *m);' % (
                        st.ctype, f.cname, st.ctype))
                    o('static int dec_tag_%s_%s(wire_rd *r, int16_t v, wire_arena *a, %s *m);' % (
                        st.ctype, f.cname, st.ctype))
        o('')
        for st in m.order:
            gen_struct_code(o, m, st)
            gen_tag_writers(o, m, st)
        t = m.prefix
        o('int %s_decode(wire_rd *r, int16_t v, wire_arena *a, %s *m)' % (t, t))
        o('{')
        o('\tif (v < %d || v > %d) {' % m.versions)
        o('\t\twire_rd_fail(r, "unsupported version");')
        o('\t\treturn wire_rd_at(r, "%s");' % m.display)
        o('\t}')
        o('\treturn dec_%s(r, v, a, m);' % t)
        o('}')
        o('')
        o('int %s_encode(wire_wr *w, int16_t v, const %s *m)' % (t, t))
        o('{')
        o('\tif (v < %d || v > %d)' % m.versions)
        o('\t\treturn wire_wr_fail(w, "unsupported version", "%s");' % m.display)
        o('\treturn enc_%s(w, v, m);' % t)
        o('}')
        o('')
        o('static void g_init_%s(void *m) { %s_init(m); }' % (t, t))
        o('static int g_dec_%s(wire_rd *r, int16_t v, wire_arena *a, void *m) { return %s_decode(r, v, a, m); }' % (t, t))
        o('static int g_enc_%s(wire_wr *w, int16_t v, const void *m) { return %s_encode(w, v, m); }' % (t, t))
        o('')
    o('const wire_msg_type wire_msg_types[] = {')
    for m in msgs:
        kind = {'req': 'WIRE_REQUEST', 'resp': 'WIRE_RESPONSE', 'data': 'WIRE_DATA'}[m.kind]
        o('\t{"%s", "%s", %d, %s, %d, %d, %d, sizeof(%s), g_init_%s, g_dec_%s, g_enc_%s},' % (
            m.display, m.schema, m.key, kind, m.versions[0], m.versions[1],
            m.flex if m.flex is not None else -1, m.prefix, m.prefix, m.prefix, m.prefix))
    o('};')
    o('const size_t wire_msg_type_count = sizeof(wire_msg_types) / sizeof(wire_msg_types[0]);')
    return o.text()


# ---- test support: random fill and deep equality ----

def fill_value(o, f, msg, dst, ind):
    if f.struct is not None:
        o('fill_%s(&%s, v, g, a, depth + 1);' % (f.struct.ctype, dst), ind)
    elif f.base in ('string', 'bytes', 'records'):
        fn = 'wire_fill_str' if f.base == 'string' else 'wire_fill_bytes'
        o('%s = %s(g, a, false);' % (dst, fn), ind)
    elif f.base == 'uuid':
        o('wire_fill_uuid(g, &%s);' % dst, ind)
    elif f.base == 'bool':
        o('%s = wire_rng_next(g) & 1;' % dst, ind)
    elif f.base == 'float64':
        o('%s = (double)(int32_t)wire_rng_next(g) / 8.0;' % dst, ind)
    elif f.base in ('int64',):
        o('%s = (int64_t)wire_rng_next64(g);' % dst, ind)
    else:
        o('%s = (%s)wire_rng_next(g);' % (dst, PRIM[f.base][0]), ind)


def fill_field(o, f, msg, ind):
    dst = 'm->' + f.cname
    nok = null_ok(f, msg)
    if not f.array:
        if f.base in ('string', 'bytes', 'records'):
            fn = 'wire_fill_str' if f.base == 'string' else 'wire_fill_bytes'
            o('%s = %s(g, a, %s);' % (dst, fn, nok), ind)
        else:
            fill_value(o, f, msg, dst, ind)
        return
    o('%s.n = wire_fill_count(g, %s, depth);' % (dst, nok), ind)
    o('if (%s.n > 0) {' % dst, ind)
    o('\t%s.v = wire_arena_calloc(a, (size_t)%s.n, sizeof(*%s.v));' % (dst, dst, dst), ind)
    o('\tif (!%s.v)' % dst, ind)
    o('\t\tabort();', ind)
    o('\tfor (int32_t i = 0; i < %s.n; i++) {' % dst, ind)
    fill_value(o, f, msg, dst + '.v[i]', ind + 2)
    o('\t}', ind)
    o('}', ind)


def eq_field(o, f, msg, ind):
    x, y = 'x->' + f.cname, 'y->' + f.cname

    def one(a, b):
        if f.struct is not None:
            return '!eq_%s(&%s, &%s, v)' % (f.struct.ctype, a, b)
        if f.base == 'string':
            return '!wire_str_eq(%s, %s)' % (a, b)
        if f.base in ('bytes', 'records'):
            return '!wire_bytes_eq(%s, %s)' % (a, b)
        if f.base == 'uuid':
            return 'memcmp(%s.b, %s.b, 16) != 0' % (a, b)
        if f.base == 'bool':
            return '(%s != %s)' % (a, b)
        return '%s != %s' % (a, b)
    if not f.array:
        o('if (%s)' % one(x, y), ind)
        o('\treturn false;', ind)
        return
    o('if (%s.n != %s.n)' % (x, y), ind)
    o('\treturn false;', ind)
    o('for (int32_t i = 0; i < %s.n; i++)' % x, ind)
    o('\tif (%s)' % one(x + '.v[i]', y + '.v[i]'), ind)
    o('\t\treturn false;', ind)


def gen_fill(msgs):
    o = Out()
    o('/* Generated by wire/codegen.py from wire/schema. Do not edit. */')
    o('#include "wire_msgs_fill.h"')
    o('')
    o('#include <stdlib.h>')
    o('#include <string.h>')
    o('')
    for m in msgs:
        fx = flex_expr(m)
        for st in m.order:
            o('static void fill_%s(%s *m, int16_t v, wire_rng *g, wire_arena *a, int depth);' % (st.ctype, st.ctype))
            o('static bool eq_%s(const %s *x, const %s *y, int16_t v);' % (st.ctype, st.ctype, st.ctype))
        for st in m.order:
            t = st.ctype
            o('static void fill_%s(%s *m, int16_t v, wire_rng *g, wire_arena *a, int depth)' % (t, t))
            o('{')
            o('\tconst bool flex = %s;' % fx)
            o('\t%s_init(m);' % t)
            o('\t(void)v;')
            o('\t(void)flex;')
            o('\t(void)depth;')
            for f in st.plain():
                c = cond(f.versions, m)
                if c == '0':
                    continue
                o('\tif (%s) {' % c)
                fill_field(o, f, m, 2)
                o('\t}')
            maxtag = -1
            for f in st.tagged():
                maxtag = max(maxtag, f.tag)
                c = cond(intersect(f.tagversions, f.versions), m)
                if c == '0':
                    continue
                o('\tif (flex && (%s) && (wire_rng_next(g) & 1)) {' % c)
                o('\t\tm->has_%s = true;' % f.cname)
                fill_field(o, f, m, 2)
                o('\t}')
            if has_tags(m):
                o('\tif (flex)')
                o('\t\twire_fill_unknown_tags(g, a, &m->unknown_tags, %d);' % (maxtag + 1))
            o('}')
            o('')
            o('static bool eq_%s(const %s *x, const %s *y, int16_t v)' % (t, t, t))
            o('{')
            o('\tconst bool flex = %s;' % fx)
            o('\t(void)v;')
            o('\t(void)flex;')
            for f in st.plain():
                c = cond(f.versions, m)
                if c == '0':
                    continue
                o('\tif (%s) {' % c)
                eq_field(o, f, m, 2)
                o('\t}')
            for f in st.tagged():
                c = cond(intersect(f.tagversions, f.versions), m)
                if c == '0':
                    continue
                o('\tif (flex && (%s)) {' % c)
                o('\t\tif (x->has_%s != y->has_%s)' % (f.cname, f.cname))
                o('\t\t\treturn false;')
                o('\t\tif (x->has_%s) {' % f.cname)
                eq_field(o, f, m, 3)
                o('\t\t}')
                o('\t}')
            if has_tags(m):
                o('\tif (flex && !wire_tags_eq(&x->unknown_tags, &y->unknown_tags))')
                o('\t\treturn false;')
            o('\treturn true;')
            o('}')
            o('')
        t = m.prefix
        o('static void g_fill_%s(void *m, int16_t v, wire_rng *g, wire_arena *a) { fill_%s(m, v, g, a, 0); }' % (t, t))
        o('static bool g_eq_%s(const void *x, const void *y, int16_t v) { return eq_%s(x, y, v); }' % (t, t))
        o('')
    o('const wire_msg_test_ops wire_msg_test_ops_table[] = {')
    for m in msgs:
        o('\t{g_fill_%s, g_eq_%s},' % (m.prefix, m.prefix))
    o('};')
    return o.text()


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    msgs = []
    try:
        for path in sorted(argv[2:]):
            msgs.extend(parse_file(path))
    except SchemaError as e:
        sys.stderr.write('codegen: %s\n' % e)
        return 1
    names = set()
    for m in msgs:
        if m.prefix in names:
            sys.stderr.write('codegen: %s defined twice\n' % m.display)
            return 1
        names.add(m.prefix)
    os.makedirs(outdir, exist_ok=True)
    hdr = gen_header(msgs)
    src = gen_source(msgs)
    fill_hdr = Out()
    fill_hdr('/* Generated by wire/codegen.py. Do not edit. */')
    fill_hdr('#ifndef TURNOUT_WIRE_MSGS_FILL_H')
    fill_hdr('#define TURNOUT_WIRE_MSGS_FILL_H')
    fill_hdr('#include "wire_msgs.h"')
    fill_hdr('#include "tests/unit/fill_support.h"')
    fill_hdr('')
    fill_hdr('/* Same order as wire_msg_types. */')
    fill_hdr('extern const wire_msg_test_ops wire_msg_test_ops_table[];')
    fill_hdr('#endif')
    files = {
        'wire_msgs.h': hdr,
        'wire_msgs.c': src,
        'wire_msgs_fill.h': fill_hdr.text(),
        'wire_msgs_fill.c': gen_fill(msgs),
    }
    for name, text in files.items():
        path = os.path.join(outdir, name)
        old = None
        if os.path.exists(path):
            with open(path) as fh:
                old = fh.read()
        if old != text:  # keep mtimes stable so make does not rebuild needlessly
            with open(path, 'w') as fh:
                fh.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
