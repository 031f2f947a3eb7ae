SELECT "event.id"
FROM "events_dns"
WHERE coalesce(len(list_filter("dns.resolved_ip", lambda v2: (regexp_matches(lower(v2), '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$') AND (TRY_CAST(split_part(lower(v2), '.', 1) AS BIGINT) * 16777216 + TRY_CAST(split_part(lower(v2), '.', 2) AS BIGINT) * 65536 + TRY_CAST(split_part(lower(v2), '.', 3) AS BIGINT) * 256 + TRY_CAST(split_part(lower(v2), '.', 4) AS BIGINT)) BETWEEN $1 AND $2))) > 0, false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: [3405803776,3405804031,1000]
-- columns: event.id:keyword
