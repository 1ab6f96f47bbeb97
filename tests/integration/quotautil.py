"""DescribeClientQuotas and AlterClientQuotas v0 through Samsa's own specs
(specutil), for the client-quota tests (0930, 0932): confluent-kafka 1.7
has no alter_client_quotas, and the tests need the raw error codes and
messages Kafka's ZkAdminManager gives."""
import specutil
from harness import check


def describe(port, components, strict=True):
    """DescribeClientQuotas v0 with filter components (entity type, match
    type, match): (error code, message, {((type, name), ...): {key: value}},
    or None for a null entry list)."""
    conn = specutil.Conn(port, "DescribeClientQuotas")
    try:
        r = conn.call(48, 0, {"components": [{"entity_type": t, "match_type": m, "match": v}
                                             for t, m, v in components], "strict": bool(strict)})
    finally:
        conn.close()
    if r["entries"] is None:
        return r["error_code"], r["error_message"], None
    out = {}
    for e in r["entries"]:
        ent = tuple(sorted((x["entity_type"], x["entity_name"]) for x in e["entity"]))
        out[ent] = {x["key"]: x["value"] for x in e["values"]}
    return r["error_code"], r["error_message"], out


def alter(port, entity, ops, validate_only=False):
    """AlterClientQuotas v0 with one entry, entity [(type, name)] and ops
    [(key, value, remove)]: (error code, message)."""
    conn = specutil.Conn(port, "AlterClientQuotas")
    try:
        r = conn.call(49, 0, {"entries": [{
            "entity": [{"entity_type": t, "entity_name": n} for t, n in entity],
            "ops": [{"key": k, "value": float(v), "remove": bool(rm)} for k, v, rm in ops]}],
            "validate_only": bool(validate_only)})
    finally:
        conn.close()
    check(len(r["entries"]) == 1, "one AlterClientQuotas entry")
    return r["entries"][0]["error_code"], r["entries"][0]["error_message"]
