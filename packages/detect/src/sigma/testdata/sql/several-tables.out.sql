-- params: ["%/dd","/dev/sd%",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category", "process.executable" AS "Image"
FROM (SELECT * FROM "events_process" UNION ALL BY NAME SELECT * FROM "events_file") AS events
WHERE (coalesce(lower("process.executable") LIKE $1 ESCAPE '\', FALSE) OR coalesce(lower("file.path") LIKE $2 ESCAPE '\', FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $3
