-- params: [167772160,184549375,3232235776,3232236031,10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_network"
WHERE (coalesce(list_transform([trim("destination.ip")], lambda v1: CASE WHEN regexp_full_match(v1, '\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}') THEN list_transform([list_transform(string_split(v1, '.'), lambda v2: CAST(v2 AS BIGINT))], lambda v3: list_max(v3) <= 255 AND (v3[1] * 16777216 + v3[2] * 65536 + v3[3] * 256 + v3[4]) BETWEEN $1 AND $2)[1] ELSE FALSE END)[1], FALSE) OR coalesce(list_transform([trim("destination.ip")], lambda v4: CASE WHEN regexp_full_match(v4, '\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}') THEN list_transform([list_transform(string_split(v4, '.'), lambda v5: CAST(v5 AS BIGINT))], lambda v6: list_max(v6) <= 255 AND (v6[1] * 16777216 + v6[2] * 65536 + v6[3] * 256 + v6[4]) BETWEEN $3 AND $4)[1] ELSE FALSE END)[1], FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $5
