WITH "q1" AS (SELECT "@timestamp", "event.id", "event.sequence", "event.ingested", "event.category", "event.action", "event.type", "event.outcome", "event.provider", "event.original", "host.id", "host.name", "tags", "message", "process.pid", "process.entity_id", "process.name", "process.executable", "process.args", "process.args_count", "process.command_line", "process.working_directory", "process.start", "process.end", "process.exit_code", "process.tty.name", "process.interactive", "process.session_id", "process.integrity_level", "process.capabilities.effective", "process.hash.md5", "process.hash.sha1", "process.hash.sha256", "process.pe.original_file_name", "process.pe.description", "process.pe.product", "process.pe.company", "process.pe.file_version", "process.pe.imphash", "process.code_signature.exists", "process.code_signature.valid", "process.code_signature.subject_name", "process.parent.pid", "process.parent.entity_id", "process.parent.name", "process.parent.executable", "process.parent.command_line", "process.parent.args", "user.id", "user.name", "user.domain", "user.effective.id", "user.effective.name", "user.audit.id", "user.audit.name", "group.id", "group.name", "process.parent.user.name", "process.logon_id", "winlog.channel", "winlog.provider_name", "winlog.event_id", "winlog.record_id", "winlog.computer_name", "winlog.task", "winlog.opcode", "winlog.keywords", "winlog.level", "winlog.user.identifier", "winlog.event_data"
FROM "events_process"
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $1)
SELECT "event.id"
FROM "q1"
WHERE coalesce("process.name" ILIKE $2 ESCAPE '\', false)
ORDER BY "@timestamp" DESC NULLS LAST, "event.sequence" DESC NULLS LAST
LIMIT $3
-- kind: events
-- params: [100,"bash",1000]
-- columns: event.id:keyword
