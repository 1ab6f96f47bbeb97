#!/usr/bin/env python3
"""gen.py - generates the protocol layer from src/protocol/specs/*.spec.

For every spec file <stem>.spec it writes msg_<stem>.h and msg_<stem>.c:
one C struct per message and nested struct, and per message and direction
a reader, a writer, a size function and a JSON renderer. It also writes
proto_gen.h / proto_gen.c (the API version table: key, name, version range,
first flexible version) and test_gen_roundtrip.c (a CUnit program that
round-trips every version of every message; it includes its fixed part,
tests/unit/protocol/gen_roundtrip.h).

Usage: gen.py SPECDIR OUTDIR [TESTDIR]
(the round-trip test goes to TESTDIR, default OUTDIR; gen_all.c, which
includes every generated codec, lets that test build them as one unit.)
Python 3 standard library only. Output is deterministic, so make can compare
and skip rewriting unchanged files.
"""
import os
import re
import sys

PRIM = {
    'bool': ('int', 1, 'sm_rbuf_bool', 'sm_wbuf_bool'),
    'int8': ('int8_t', 1, 'sm_rbuf_i8', 'sm_wbuf_i8'),
    'int16': ('int16_t', 2, 'sm_rbuf_i16', 'sm_wbuf_i16'),
    'uint16': ('uint16_t', 2, 'sm_rbuf_u16', 'sm_wbuf_u16'),
    'int32': ('int32_t', 4, 'sm_rbuf_i32', 'sm_wbuf_i32'),
    'uint32': ('uint32_t', 4, 'sm_rbuf_u32', 'sm_wbuf_u32'),
    'int64': ('int64_t', 8, 'sm_rbuf_i64', 'sm_wbuf_i64'),
    'float64': ('double', 8, 'sm_rbuf_f64', 'sm_wbuf_f64'),
}
VARLEN = ('string', 'bytes', 'records')
# sm_proto_<name>_read/_write/_size/json_ helpers, how a value is passed to
# them, and the C type.
VARFN = {'string': ('str', '', 'char *'), 'bytes': ('bytes', '', 'sm_bytes_t'),
         'records': ('records', '&', 'sm_records_t')}
TOP = 10 ** 6


class Range:
    def __init__(self, text):
        self.text = text
        if text == 'none':
            self.lo, self.hi = 1, 0
        elif text.endswith('+'):
            self.lo, self.hi = int(text[:-1]), TOP
        elif '-' in text:
            a, b = text.split('-')
            self.lo, self.hi = int(a), int(b)
        else:
            self.lo = self.hi = int(text)

    def empty(self):
        return self.lo > self.hi

    def cond(self, lo, hi, var='ver'):
        """C condition for 'var in range' given the message range lo..hi,
        or None when always true."""
        if self.empty():
            return '0'
        parts = []
        if self.lo > lo:
            parts.append('%s >= %d' % (var, self.lo))
        if self.hi < hi:
            parts.append('%s <= %d' % (var, self.hi))
        return ' && '.join(parts) if parts else None


def guarded(cond, body, ind='\t'):
    """The lines body(indent) returns, inside 'if (cond) { }' unless cond is
    None (always true)."""
    if not cond:
        return body(ind)
    return ['%sif (%s) {' % (ind, cond)] + body(ind + '\t') + ['%s}' % ind]


def snake(n):
    n = re.sub(r'(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])', '_', n)
    return n.lower()


def singular(n):
    if n.endswith('ies'):
        return n[:-3] + 'y'
    if n.endswith('sses') or n.endswith('xes') or n.endswith('ches'):
        return n[:-2]
    if n.endswith('s') and not n.endswith('ss'):
        return n[:-1]
    return n


class Field:
    pass


class Struct:
    def __init__(self, kname):
        self.kname = kname
        self.fields = []
        self.cname = None


class Message:
    pass


def depth(line):
    return (len(line) - len(line.lstrip(' '))) // 2


def options(toks):
    """{'k': 'v'} of k=v tokens."""
    return dict(t.partition('=')[::2] for t in toks)


def parse_fields(lines, i, indent, parent, common_refs):
    while i < len(lines):
        raw = lines[i]
        if depth(raw) < indent:
            return i
        if depth(raw) > indent:
            raise SystemExit('bad indentation: %r' % raw)
        body, _, about = raw.strip().partition(' -- ')
        tok = body.split()
        opts = options(tok[3:])
        f = Field()
        f.kname, f.type, f.about, f.vtext = tok[0], tok[1], about, tok[2][1:]
        f.null, f.flex, f.default = opts.get('null', 'none'), opts.get('flex'), opts.get('default')
        n, _, f.tagv = opts.get('tag', '@none').partition('@')  # tag=N@VERSIONS
        f.tag = int(n) if n else None
        f.name = snake(f.kname)
        f.is_array = f.type.startswith('[]')
        f.base = base = f.type[2:] if f.is_array else f.type
        f.struct = None
        i += 1
        if base not in PRIM and base not in VARLEN and base != 'uuid':
            if i < len(lines) and depth(lines[i]) > indent:
                f.struct = Struct(base)
                i = parse_fields(lines, i, indent + 1, f.struct, common_refs)
            else:
                common_refs.append(f)
        parent.fields.append(f)
    return i


def parse_spec(path):
    lines = [l.rstrip('\n') for l in open(path)]
    lines = [l for l in lines if l.strip() and not l.lstrip().startswith('#')]
    msgs = []
    i = 0
    cur = None
    while i < len(lines):
        l = lines[i]
        tok = l.split()
        if tok[0] in ('request', 'response', 'header', 'data'):
            opts = options(tok[2:])
            m = Message()
            m.kind, m.kname = tok[0], tok[1]
            m.key = int(opts['key']) if 'key' in opts else None
            r = Range(opts['versions'])
            m.lo, m.hi = r.lo, (r.hi if r.hi != TOP else r.lo)
            fl = opts.get('flexible', 'none')
            m.flex = None if fl == 'none' else int(fl[:-1])
            m.root = Struct(m.kname)
            m.refs = []
            m.common = {}
            i = parse_fields(lines, i + 1, 1, m.root, m.refs)
            msgs.append(m)
            cur = m
        elif tok[0] == 'struct':
            s = Struct(tok[1])
            i = parse_fields(lines, i + 1, 1, s, cur.refs)
            cur.common[s.kname] = s
        else:
            raise SystemExit('%s: unexpected line %r' % (path, l))
    for m in msgs:
        for f in m.refs:
            f.struct = m.common[f.base]
    return msgs


class Gen:
    def __init__(self, stem, msgs):
        self.stem = stem
        self.msgs = msgs
        self.h = []
        self.c = []

    # ---- naming ----
    def name_structs(self, m):
        m.prefix = {'request': 'sm_%s_req' % self.stem, 'response': 'sm_%s_resp' % self.stem,
                    'header': 'sm_%s' % snake(m.kname)}.get(m.kind, 'sm_rec_%s' % snake(m.kname))
        m.root.cname = m.prefix
        m.structs = []
        taken = {}

        def walk(s, parent_c):
            for f in s.fields:
                if not f.struct:
                    continue
                st = f.struct
                if st.cname is None:
                    if st.kname in m.common:
                        api = re.sub(r'(Request|Response)$', '', m.kname)
                        nm = st.kname[len(api):] if st.kname.startswith(api) and len(st.kname) > len(api) else st.kname
                        cn = '%s_%s' % (m.prefix, snake(nm))
                    else:
                        cn = '%s_%s' % (m.prefix, singular(f.name))
                    if cn in taken and taken[cn] is not st:
                        cn = '%s_%s' % (parent_c, singular(f.name))
                    taken[cn] = st
                    st.cname = cn
                    walk(st, cn)
                    m.structs.append(st)
        walk(m.root, m.prefix)
        m.structs.append(m.root)

    # ---- helpers ----
    def flexc(self, m, f):
        """C expression: is field f compact-encoded."""
        return '0' if f.flex == 'none' or m.flex is None else 'flex'

    def ctype(self, f):
        if f.struct:
            return f.struct.cname + '_t'
        if f.base in PRIM:
            return PRIM[f.base][0]
        return VARFN[f.base][2] if f.base in VARFN else 'uint8_t'

    def cdefault(self, f):
        d = f.default
        if d is None or f.is_array:
            return None
        if f.base == 'bool':
            return '1' if d == 'true' else None
        if f.base in PRIM:
            v = int(d, 16) if d.lower().startswith(('0x', '-0x')) else int(d)
            if v == 0:
                return None
            if f.base == 'int32' and v == -2147483648:
                return 'INT32_MIN'
            if f.base == 'int64':
                return 'INT64_C(%d)' % v
            return str(v)
        return None

    # ---- struct declarations ----
    def emit_structs(self, m):
        for s in m.structs:
            self.h.append('typedef struct %s {' % s.cname)
            for f in s.fields:
                r = Range(f.vtext)
                notes = [t for cond, t in ((r.lo > m.lo or r.hi < m.hi, 'v%s' % f.vtext),
                                           (f.null != 'none', 'nullable v%s' % f.null),
                                           (f.tag is not None, 'tag %s' % f.tag),
                                           (f.default is not None, 'default %s' % f.default)) if cond]
                note = ' /* %s */' % ', '.join(notes) if notes else ''
                ct = self.ctype(f)
                sep = '' if ct.endswith('*') else ' '
                if f.is_array:
                    self.h += ['\t%s%s*%s;%s' % (ct, sep, f.name, note), '\tint32_t %s_cnt;' % f.name]
                elif f.base == 'uuid':
                    self.h.append('\tuint8_t %s[16];%s' % (f.name, note))
                else:
                    self.h.append('\t%s%s%s;%s' % (ct, sep, f.name, note))
            if not s.fields:
                self.h.append('\tint unused_; /* no fields */')
            self.h += ['} %s_t;' % s.cname, '']

    # ---- init ----
    def emit_init(self, m, s):
        self.h.append('void %s_init(%s_t *r);' % (s.cname, s.cname))
        c = self.c
        c += ['void %s_init(%s_t *r)' % (s.cname, s.cname), '{', '\tmemset(r, 0, sizeof(*r));']
        for f in s.fields:
            if f.is_array and f.default == 'null':
                c.append('\tr->%s_cnt = -1;' % f.name)
            elif f.base in ('bytes', 'records') and f.default == 'null':
                c.append('\tr->%s.len = -1;' % f.name)
            elif f.struct and not f.is_array:
                c.append('\t%s_init(&r->%s);' % (f.struct.cname, f.name))
            else:
                d = self.cdefault(f)
                if d is not None:
                    c.append('\tr->%s = %s;' % (f.name, d))
        c += ['}', '']

    # ---- min wire size ----
    def emit_min(self, m, s):
        c = self.c
        c += ['/* Fewest bytes one %s takes on the wire at ver. */' % s.kname,
              'static inline size_t %s_min_size(int16_t ver)' % s.cname, '{',
              '\tint flex = %s;' % self.flexexpr(m), '\tsize_t n = flex ? 1 : 0;', '', '\t(void)ver;']
        for f in s.fields:
            cond = Range(f.vtext).cond(m.lo, m.hi)
            tagged = Range(f.tagv)
            if tagged.lo <= m.hi and not tagged.empty():
                cond = '(%s) && !(%s)' % (cond or '1', tagged.cond(m.lo, m.hi) or '1')
            e = self.min_size(m, f, True)
            c += ['\tif (%s)' % cond, '\t\tn += %s;' % e] if cond else ['\tn += %s;' % e]
        c += ['\treturn n;', '}', '']

    def min_size(self, m, f, whole):
        """C expression: fewest wire bytes of field f (whole) or of one
        element of array f; an array field is its count prefix."""
        fc = self.flexc(m, f)
        if (whole and f.is_array) or f.base in VARLEN:
            small = 2 if f.base == 'string' and not (whole and f.is_array) else 4
            if fc == '0':
                return str(small)
            return '%s(%s ? 1 : %d)' % ('' if whole else '(size_t)', fc, small)
        if f.struct:
            return '%s_min_size(ver)' % f.struct.cname
        return '16' if f.base == 'uuid' else str(PRIM[f.base][1])

    def flexexpr(self, m):
        if m.flex is None:
            return '0'
        if m.flex <= m.lo:
            return '1'
        return 'ver >= %d' % m.flex

    # ---- field value code (read / write / size / json) ----
    def read_one(self, m, f, dst, ind, nullable):
        """Statements reading one (non-array) value of f into lvalue dst."""
        b = f.base
        if f.struct:
            return ['%s%s_read(rb, ver, cx, &%s);' % (ind, f.struct.cname, dst)]
        if b in PRIM:
            return ['%s%s = %s(rb);' % (ind, dst, PRIM[b][2])]
        if b in VARLEN:
            return ['%s%s = sm_proto_%s_read(rb, %s, %s%s);' % (ind, dst, VARFN[b][0], self.flexc(m, f), nullable,
                                                               ', cx->a' if b == 'string' else '')]
        return ['%ssm_rbuf_uuid(rb, %s);' % (ind, dst)]

    def write_one(self, m, f, src, ind, nullable, mode, acc='n'):
        """Statements adding one (non-array) value's size to acc, or writing it."""
        b = f.base
        if b in VARLEN:
            call = 'sm_proto_%s_%s(%s%s%s, %s, %s)' % (VARFN[b][0], mode, '' if mode == 'size' else 'w, ',
                                                      VARFN[b][1], src, self.flexc(m, f), nullable)
        if mode == 'size':
            if f.struct:
                e = '%s_size(ver, &%s)' % (f.struct.cname, src)
            elif b in PRIM:
                e = '%d' % PRIM[b][1]
            else:
                e = call if b in VARLEN else '16'
            return ['%s%s += %s;' % (ind, acc, e)]
        if f.struct:
            return ['%s%s_write(w, ver, &%s);' % (ind, f.struct.cname, src)]
        if b == 'int16' and m.kind == 'response' and f.name.endswith('error_code'):
            # every error code a response carries is tallied for the
            # request metrics (ErrorsPerSec), as Kafka's errorCounts
            return ['%ssm_proto_err_seen(%s), %s(w, %s);' % (ind, src, PRIM[b][3], src)]
        if b in PRIM:
            return ['%s%s(w, %s);' % (ind, PRIM[b][3], src)]
        return ['%s%s;' % (ind, call if b in VARLEN else 'sm_wbuf_uuid(w, %s)' % src)]

    def json_one(self, m, f, src, ind):
        b = f.base
        if f.struct:
            return ['%s%s_json(w, ver, &%s);' % (ind, f.struct.cname, src)]
        if b == 'string':
            return ['%ssm_proto_json_str(w, %s, %s);' % (ind, src, '1' if f.null != 'none' else '0')]
        if b in PRIM and b not in ('bool', 'int64', 'float64'):
            return ['%ssm_proto_json_i64(w, (int64_t)%s);' % (ind, src)]
        fn, ref = {'bool': 'bool', 'int64': 'i64', 'float64': 'f64'}.get(b), ''
        if not fn:
            fn, ref = VARFN[b][:2] if b in VARFN else ('uuid', '')
        return ['%ssm_proto_json_%s(w, %s%s);' % (ind, fn, ref, src)]

    def nullable_expr(self, m, f):
        c = Range(f.null).cond(m.lo, m.hi)  # '0' when never nullable
        return c if c == '0' else '(%s)' % c if c else '1'

    def field_read(self, m, f, ind):
        out = []
        nul = self.nullable_expr(m, f)
        if f.is_array:
            fc = self.flexc(m, f)
            minsz = self.min_size(m, f, False)
            out += ['%s{' % ind,
                    '%s\tint32_t n = sm_proto_array_read(rb, %s, %s, %s);' % (ind, fc, nul, minsz),
                    '%s\tout->%s = sm_proto_array_alloc_checked(rb, cx, n, sizeof(*out->%s));' % (ind, f.name, f.name),
                    '%s\tfor (int32_t i = 0; i < n && !rb->err; i++)' % ind]
            dst = 'out->%s[i]' % f.name
            body = self.read_one(m, f, dst, ind + '\t\t', '0')
            if f.struct:  # each element starts from its defaults
                out[-1] += ' {'
                body = ['%s\t\t%s_init(&%s);' % (ind, f.struct.cname, dst)] + body + ['%s\t}' % ind]
            out += body + ['%s\tout->%s_cnt = rb->err ? 0 : n;' % (ind, f.name), '%s}' % ind]
        else:
            dst = 'out->%s' % f.name
            out += self.read_one(m, f, dst, ind, nul)
        return out

    def field_write(self, m, f, ind, mode, obj='in', acc='n'):
        out = []
        nul = self.nullable_expr(m, f)
        if f.is_array:
            fc = self.flexc(m, f)
            if mode == 'size':
                out.append('%s%s += sm_proto_array_hdr_size(%s->%s_cnt, %s, %s);' % (ind, acc, obj, f.name, fc, nul))
            else:
                out.append('%ssm_proto_array_write(w, %s->%s_cnt, %s, %s);' % (ind, obj, f.name, fc, nul))
            out.append('%sfor (int32_t i = 0; i < %s->%s_cnt; i++)' % (ind, obj, f.name))
            out += self.write_one(m, f, '%s->%s[i]' % (obj, f.name), ind + '\t', '0', mode, acc)
        else:
            out += self.write_one(m, f, '%s->%s' % (obj, f.name), ind, nul, mode, acc)
        return out

    def is_default_expr(self, m, f, obj):
        v = '%s->%s' % (obj, f.name)
        if f.is_array:
            return '%s_cnt %s' % (v, '< 0' if f.default == 'null' else '<= 0')
        if f.struct:
            return '%s_is_default(ver, &%s)' % (f.struct.cname, v)
        if f.base == 'string':
            if f.default == 'null':
                return '%s == NULL' % v
            return '(%s == NULL || %s[0] == 0)' % (v, v)
        if f.base in ('bytes', 'records'):
            return '%s.len %s' % (v, '< 0' if f.default == 'null' else '<= 0')
        if f.base == 'uuid':
            return 'sm_proto_uuid_is_zero(%s)' % v
        d = self.cdefault(f) or '0'
        return '%s == %s' % (v, d)

    def tag_present(self, m, f):
        """Condition for f being in the tagged section at ver."""
        return Range(f.tagv).cond(m.lo, m.hi) or '1'

    def positional(self, m, f):
        """Condition for f being read/written positionally, or None."""
        r = Range(f.vtext)
        cond = r.cond(m.lo, m.hi)
        if f.tag is not None:
            t = Range(f.tagv)
            if t.lo <= r.lo and t.hi >= r.hi:
                return '0'
            tc = t.cond(m.lo, m.hi)
            cond = '(%s) && !(%s)' % (cond or '1', tc)
        return cond

    # ---- functions per struct ----
    def emit_struct_funcs(self, m, s, top):
        c = self.c
        cn = s.cname
        stat = '' if top else 'static '
        tagged = [f for f in s.fields if f.tag is not None]
        flex = self.flexexpr(m)
        # is_default (needed by tagged struct fields)
        if getattr(s, 'need_is_default', False):
            c += ['static int %s_is_default(int16_t ver, const %s_t *in)' % (cn, cn), '{', '\t(void)ver;']
            exprs = [self.is_default_expr(m, f, 'in') for f in s.fields] or ['1']
            c += ['\treturn ' + ' &&\n\t       '.join(exprs) + ';', '}', '']
        # tag callback
        if tagged:
            c += ['typedef struct %s_tagarg {' % cn, '\tint16_t ver;', '\tsm_proto_rctx_t *cx;',
                  '\t%s_t *out;' % cn, '} %s_tagarg_t;' % cn, '',
                  'static int %s_tag(void *arg, uint32_t tag, sm_rbuf_t *rb, sm_arena_t *a)' % cn, '{',
                  '\t%s_tagarg_t *t = arg;' % cn, '\tint16_t ver = t->ver;',
                  '\tsm_proto_rctx_t *cx = t->cx;', '\t%s_t *out = t->out;' % cn,
                  '\tint flex = 1; /* tagged fields exist only in flexible versions */', '', '\t(void)a;',
                  '\t(void)cx;', '\t(void)flex;', '\t(void)ver;', '\tswitch (tag) {']
            for f in tagged:
                c += ['\tcase %d:' % f.tag, '\t\tif (!(%s))' % self.tag_present(m, f), '\t\t\treturn 0;']
                c += self.field_read(m, f, '\t\t')
                c.append('\t\treturn 0;')
            c += ['\tdefault:', '\t\treturn 0; /* unknown tags are skipped */', '\t}', '}', '']
        # read
        if top:
            c.append('static void %s_read_body(sm_rbuf_t *rb, int16_t ver, sm_proto_rctx_t *cx, %s_t *out)' % (cn, cn))
        else:
            c.append('static void %s_read(sm_rbuf_t *rb, int16_t ver, sm_proto_rctx_t *cx, %s_t *out)' % (cn, cn))
        c += ['{', '\tint flex = %s;' % flex, '', '\t(void)flex;', '\t(void)ver;', '\t(void)cx;']
        for f in s.fields:
            cond = self.positional(m, f)
            # An absent string reads as its default: "" unless the spec
            # says null, as in Kafka's generated classes.
            empty = (f.base == 'string' and not f.is_array and
                     f.tag is None and f.default != 'null')
            if cond != '0':
                els = ['\t} else {', '\t\tout->%s = sm_proto_empty_str(cx->a);' % f.name] if cond and empty else []
                c += guarded(cond, lambda ind: self.field_read(m, f, ind) + els)
        if tagged:
            c += ['\tif (flex) {', '\t\t%s_tagarg_t t = { ver, cx, out };' % cn,
                  '\t\tsm_proto_tags_read(rb, cx->a, %s_tag, &t);' % cn, '\t}']
        else:
            c += ['\tif (flex)', '\t\tsm_proto_tags_read(rb, cx->a, NULL, NULL);']
        c += ['}', '', '']
        if top:
            self.h += ['/* 0, or -1 on malformed, truncated or over-budget input. */',
                       'int %s_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, %s_t *out);' % (cn, cn)]
            c += ['int %s_read(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, %s_t *out)' % (cn, cn), '{',
                  '\tsm_proto_rctx_t cx;', '', '\tsm_proto_rctx_init(&cx, rb, a);', '\t%s_init(out);' % cn,
                  '\t%s_read_body(rb, ver, &cx, out);' % cn, '\treturn rb->err ? -1 : 0;', '}', '']
        # write and size
        for mode, sig in (('size', 'size_t %s_size(int16_t ver, const %s_t *in)'),
                          ('write', 'void %s_write(sm_wbuf_t *w, int16_t ver, const %s_t *in)')):
            sig = sig % (cn, cn)
            if top:
                self.h.append(sig + ';')
            c += [stat + sig, '{', '\tint flex = %s;' % flex] + (['\tsize_t n = 0;'] if mode == 'size' else [])
            c += ['', '\t(void)flex;', '\t(void)ver;', '\t(void)in;']
            for f in s.fields:
                cond = self.positional(m, f)
                if cond != '0':
                    c += guarded(cond, lambda ind: self.field_write(m, f, ind, mode))
            if tagged:
                # A tagged field is sent when present at ver and not at its default.
                sent = {f: '(%s) && !(%s)' % (self.tag_present(m, f), self.is_default_expr(m, f, 'in')) for f in tagged}
                c += ['\tif (flex) {', '\t\tuint32_t ntags = 0;', '']
                for f in tagged:
                    c += ['\t\tif (%s)' % sent[f], '\t\t\tntags++;']
                c.append('\t\tn += sm_proto_uvarint_size(ntags);' if mode == 'size' else '\t\tsm_wbuf_uvarint(w, ntags);')
                for f in sorted(tagged, key=lambda f: f.tag):
                    c += ['\t\tif (%s) {' % sent[f], '\t\t\tsize_t fsz = 0;', '']
                    c += self.field_write(m, f, '\t\t\t', 'size', acc='fsz')
                    if mode == 'size':
                        c.append('\t\t\tn += sm_proto_uvarint_size(%d) + sm_proto_uvarint_size((uint32_t)fsz) + fsz;' % f.tag)
                    else:
                        c += ['\t\t\tsm_wbuf_uvarint(w, %d);' % f.tag,
                              '\t\t\tsm_wbuf_uvarint(w, (uint32_t)fsz);']
                        c += self.field_write(m, f, '\t\t\t', 'write')
                    c.append('\t\t}')
                c.append('\t}')
            else:
                c += ['\tif (flex)', '\t\t%s' % ('n += 1;' if mode == 'size' else 'sm_wbuf_tags_empty(w);')]
            if mode == 'size':
                c.append('\treturn n;')
            c += ['}', '']
        # json
        if top:
            self.h += ['/* Appends a JSON object with the fields present at ver. */',
                       'void %s_json(sm_wbuf_t *w, int16_t ver, const %s_t *in);' % (cn, cn)]
        c += ['%svoid %s_json(sm_wbuf_t *w, int16_t ver, const %s_t *in)' % (stat, cn, cn), '{',
              '\tint first = 1;', '', '\t(void)ver;', '\t(void)in;', '\tsm_wbuf_append(w, "{", 1);']
        for f in s.fields:
            c += guarded(Range(f.vtext).cond(m.lo, m.hi), lambda ind: self.json_field(m, f, ind))
        c += ['\tsm_wbuf_append(w, "}", 1);', '}', '']

    def json_field(self, m, f, ind):
        c = ['%ssm_proto_json_key(w, "%s", &first);' % (ind, f.kname[0].lower() + f.kname[1:])]
        if not f.is_array:
            return c + self.json_one(m, f, 'in->%s' % f.name, ind)
        c += ['%sif (in->%s_cnt < 0) {' % (ind, f.name), '%s\tsm_wbuf_append(w, "null", 4);' % ind,
              '%s} else {' % ind, '%s\tsm_wbuf_append(w, "[", 1);' % ind,
              '%s\tfor (int32_t i = 0; i < in->%s_cnt; i++) {' % (ind, f.name),
              '%s\t\tif (i)' % ind, '%s\t\t\tsm_wbuf_append(w, ",", 1);' % ind]
        c += self.json_one(m, f, 'in->%s[i]' % f.name, ind + '\t\t')
        return c + ['%s\t}' % ind, '%s\tsm_wbuf_append(w, "]", 1);' % ind, '%s}' % ind]

    def emit_codec(self, m):
        """A descriptor with type-erased read/json, so a table keyed by API
        can decode and render any message (the request log)."""
        cn = m.root.cname
        c = self.c
        self.h.append('extern const sm_proto_codec_t %s_codec;' % cn)
        c += ['static int %s_read_any(sm_rbuf_t *rb, int16_t ver, sm_arena_t *a, void *out)' % cn, '{',
              '\treturn %s_read(rb, ver, a, out);' % cn, '}', '',
              'static void %s_json_any(sm_wbuf_t *w, int16_t ver, const void *in)' % cn, '{',
              '\t%s_json(w, ver, in);' % cn, '}', '', 'const sm_proto_codec_t %s_codec = {' % cn,
              '\t%d, "%s", sizeof(%s_t), %s_read_any, %s_json_any' % (m.key, m.kname, cn, cn, cn), '};', '']

    def mark_is_default(self, m):
        def walk(s):
            for f in s.fields:
                if f.struct:
                    if f.tag is not None and not f.is_array:
                        mark(f.struct)
                    walk(f.struct)

        def mark(s):
            s.need_is_default = True
            for f in s.fields:
                if f.struct and not f.is_array:
                    mark(f.struct)
        walk(m.root)

    def run(self):
        guard = 'SM_MSG_%s_H' % self.stem.upper()
        h, c = self.h, self.c
        desc = ', '.join('%s v%d-%d' % (m.kname, m.lo, m.hi) for m in self.msgs)
        h += ['/*', ' * msg_%s.h - generated by src/protocol/gen.py from' % self.stem,
              ' * src/protocol/specs/%s.spec; do not edit.' % self.stem, ' * %s.' % desc, ' *',
              ' * Thread-safety: reentrant; decoded structures live in the caller\'s arena.', ' */',
              '#ifndef %s' % guard, '#define %s' % guard, '', '#include <stddef.h>', '#include <stdint.h>',
              '', '#include "buf.h"', '#include "protocol.h"', '']
        c += ['/* msg_%s.c - generated by src/protocol/gen.py from src/protocol/specs/%s.spec; do not edit. */' % (self.stem, self.stem),
              '#include <string.h>', '', '#include "msg_%s.h"' % self.stem, '#include "protocol.h"', '']
        for m in self.msgs:
            self.name_structs(m)
            self.mark_is_default(m)
            self.emit_structs(m)
        for m in self.msgs:
            h.append('/* ---- %s ---- */' % m.kname)
            for s in m.structs:
                self.emit_init(m, s)
            for s in m.structs[:-1]:
                self.emit_min(m, s)
            for s in m.structs[:-1]:
                # prototypes for the static helpers (common structs may recurse)
                c += ['static void %s_read(sm_rbuf_t *rb, int16_t ver, sm_proto_rctx_t *cx, %s_t *out);' % (s.cname, s.cname),
                      'static size_t %s_size(int16_t ver, const %s_t *in);' % (s.cname, s.cname),
                      'static void %s_write(sm_wbuf_t *w, int16_t ver, const %s_t *in);' % (s.cname, s.cname),
                      'static void %s_json(sm_wbuf_t *w, int16_t ver, const %s_t *in);' % (s.cname, s.cname)]
            c.append('')
            for s in m.structs:
                self.emit_struct_funcs(m, s, s is m.root)
            if m.kind in ('request', 'response'):
                self.emit_codec(m)
            h.append('')
        h.append('#endif /* %s */' % guard)
        return '\n'.join(h) + '\n', '\n'.join(tidy(c)).rstrip('\n') + '\n'


def tidy(lines):
    """Drops '(void)x;' lines of variables a function body does use, and
    blank lines doubled by that or by the emitters."""
    out = []
    i = 0
    while i < len(lines):
        if lines[i] != '{':
            out.append(lines[i])
            i += 1
            continue
        j = i
        while lines[j] != '}':
            j += 1
        body = lines[i:j + 1]
        voids = [l for l in body if re.match(r'^\t\(void\)\w+;$', l)]
        for v in voids:
            # Used: named in a line that neither declares nor initializes it.
            name = v.strip()[6:-1]
            uses = [l for l in body if l not in voids and not l.startswith('\t%s ' % name)
                    and not re.match(r'^\t[\w ]+\*?%s = ' % name, l)]
            if re.search(r'\b%s\b' % name, '\n'.join(uses)):
                body.remove(v)
        out += body
        i = j + 1
    res = []
    for l in out:
        if l == '' and res and res[-1] == '':
            continue
        if l == '' and res and res[-1] == '{':
            continue
        if l == '}' and res and res[-1] == '':
            res.pop()
        res.append(l)
    return res


# ---- round-trip test ----

class TestGen:
    def __init__(self):
        self.c = []
        self.cases = []

    def fill(self, g, m, s):
        c = self.c
        cn = s.cname
        c += ['static void fill_%s(%s_t *v, int16_t ver, sm_arena_t *a, int *seed)' % (cn, cn), '{',
              '\t(void)ver;', '\t(void)a;', '\t(void)seed;', '\t%s_init(v);' % cn]
        for f in s.fields:
            c += guarded(Range(f.vtext).cond(m.lo, m.hi), lambda ind: self.fill_field(g, m, f, ind))
        c += ['}', '']

    def fill_field(self, g, m, f, ind):
        if not f.is_array:
            return self.fill_one(g, m, f, 'v->%s' % f.name, ind, False)
        return ['%sv->%s_cnt = 2;' % (ind, f.name),
                '%sv->%s = sm_arena_alloc(a, 2 * sizeof(*v->%s));' % (ind, f.name, f.name),
                '%sfor (int i = 0; i < 2; i++)' % ind] + self.fill_one(g, m, f, 'v->%s[i]' % f.name, ind + '\t', True)

    def fill_one(self, g, m, f, dst, ind, elem):
        b = f.base
        if f.struct:
            return ['%sfill_%s(&%s, ver, a, seed);' % (ind, f.struct.cname, dst)]
        if b == 'bool':
            return ['%s%s = %s;' % (ind, dst, '0' if f.default == 'true' and not elem else '1')]
        if b in PRIM:
            t = PRIM[b][0]
            if b == 'float64':
                return ['%s%s = 0.5 + (*seed)++;' % (ind, dst)]
            if b == 'int8':
                return ['%s%s = (int8_t)(10 + (*seed)++ %% 100);' % (ind, dst)]
            return ['%s%s = (%s)(1000 + (*seed)++);' % (ind, dst, t)]
        if b in VARLEN:
            return ['%s%s = fill_%s(a, seed);' % (ind, dst, VARFN[b][0])]
        return ['%sfill_uuid(%s, seed);' % (ind, dst)]

    def add(self, g, stem):
        for m in g.msgs:
            for s in m.structs:
                self.fill(g, m, s)
            cn = m.root.cname
            self.c += ['static void rt_%s(void)' % cn, '{',
                       '\tfor (int16_t ver = %d; ver <= %d; ver++) {' % (m.lo, m.hi),
                       '\t\tRT_CASE(%s, ver);' % cn, '\t}', '}', '']
            self.cases.append((cn, '%s v%d-%d' % (m.kname, m.lo, m.hi)))


TEST_HEAD = '''/*
 * test_gen_roundtrip.c - generated by src/protocol/gen.py; do not edit.
 *
 * Round trip of every version of every message in src/protocol/specs: the
 * fill_ functions set every field present at a version to a non-default
 * value; tests/unit/protocol/gen_roundtrip.h holds the fixed part (RT_CASE,
 * the fillers of the variable-length types, main).
 */
#include "gen_roundtrip.h"
'''


def write_if_changed(path, text):
    try:
        if open(path).read() == text:
            return
    except OSError:
        pass
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def main():
    specdir, outdir = sys.argv[1], sys.argv[2]
    testdir = sys.argv[3] if len(sys.argv) > 3 else outdir
    os.makedirs(outdir, exist_ok=True)
    os.makedirs(testdir, exist_ok=True)
    stems = sorted(f[:-5] for f in os.listdir(specdir) if f.endswith('.spec'))
    apis = []
    tg = TestGen()
    for stem in stems:
        msgs = parse_spec(os.path.join(specdir, stem + '.spec'))
        g = Gen(stem, msgs)
        h, c = g.run()
        write_if_changed(os.path.join(outdir, 'msg_%s.h' % stem), h)
        write_if_changed(os.path.join(outdir, 'msg_%s.c' % stem), c)
        tg.add(g, stem)
        req = [m for m in msgs if m.kind == 'request']
        if req:
            m = req[0]
            apis.append((m.key, re.sub(r'Request$', '', m.kname), m.lo, m.hi,
                         -1 if m.flex is None else m.flex, stem))
    apis.sort()
    # version table
    h = ['/* proto_gen.h - generated by src/protocol/gen.py; do not edit. */',
         '#ifndef SM_PROTO_GEN_H', '#define SM_PROTO_GEN_H', '', '#include <stdint.h>', '',
         '/* One row per API in src/protocol/specs: Kafka 2.8 version range and',
         ' * first flexible version (-1 = never). Sorted by key. */',
         'typedef struct sm_proto_version {', '\tint16_t key;', '\tconst char *name;',
         '\tint16_t min_ver;', '\tint16_t max_ver;', '\tint16_t flex_ver;',
         '} sm_proto_version_t;', '',
         '/* Kafka\'s key of every API with a spec (ApiKeys). */', 'enum sm_api_key {']
    h += ['\tSM_API_%s = %d,' % (st.upper(), k) for k, _, _, _, _, st in apis]
    h += ['\tSM_API__COUNT = %d' % (apis[-1][0] + 1), '};', '',
         '#define SM_PROTO_VERSIONS_CNT %d' % len(apis),
         'extern const sm_proto_version_t sm_proto_versions[SM_PROTO_VERSIONS_CNT];', '',
         '#endif /* SM_PROTO_GEN_H */']
    c = ['/* proto_gen.c - generated by src/protocol/gen.py; do not edit. */',
         '#include "proto_gen.h"', '',
         'const sm_proto_version_t sm_proto_versions[SM_PROTO_VERSIONS_CNT] = {']
    for k, n, lo, hi, fl, _ in apis:
        c.append('\t{ %d, "%s", %d, %d, %d },' % (k, n, lo, hi, fl))
    c.append('};')
    write_if_changed(os.path.join(outdir, 'proto_gen.h'), '\n'.join(h) + '\n')
    write_if_changed(os.path.join(outdir, 'proto_gen.c'), '\n'.join(c) + '\n')
    # round-trip test
    t = TEST_HEAD + ''.join('#include "msg_%s.h"\n' % s for s in stems) + '\n' + '\n'.join(tg.c)
    t += '\nstatic const rt_case_t rt_cases[] = {\n'
    t += ''.join('\t{ "%s", rt_%s },\n' % (desc, cn) for cn, desc in tg.cases)
    t += '};\n\nint main(void)\n{\n\treturn rt_main(rt_cases, sizeof(rt_cases) / sizeof(rt_cases[0]));\n}\n'
    write_if_changed(os.path.join(testdir, 'test_gen_roundtrip.c'), t)
    a = ['/* gen_all.c - generated by src/protocol/gen.py; do not edit. Every',
         ' * generated codec as one translation unit (for the round-trip test). */']
    a += ['#include "msg_%s.c"' % s for s in stems]
    write_if_changed(os.path.join(outdir, 'gen_all.c'), '\n'.join(a) + '\n')


if __name__ == '__main__':
    main()
