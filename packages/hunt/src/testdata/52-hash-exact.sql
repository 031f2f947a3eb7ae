SELECT "event.id", "host.id"
FROM "events_process"
WHERE (coalesce("process.hash.sha256" = $1, false) OR coalesce("process.hash.md5" IN ($2, $3), false))
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $4
-- kind: events
-- params: ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","44d88612fea8a8f36de82e1278abb02f","d41d8cd98f00b204e9800998ecf8427e",1000]
-- columns: event.id:keyword, host.id:keyword
