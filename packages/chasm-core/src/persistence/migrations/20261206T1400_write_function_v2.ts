import { sql, type Kysely } from 'kysely';

/**
 * `chasm_write`, second version (issue 16, ADR 0039): the same parameter format, conditions and
 * results as 20261203T1800, with statements that let Postgres do less.
 *
 * - Finished tasks and removed nodes are deleted by `= any(array(…))` of the ids instead of
 *   `in (select …)`: PL/pgSQL runs its statements with generic plans, and for the semi-join the
 *   generic plan hashed the ids and scanned every task row of the shard (a bitmap scan of the
 *   shard's whole primary-key range, ~0.1 ms a call and growing with the shard's backlog); the
 *   array form is an index lookup per id.
 * - The shard fence is taken once per (shard, range) and call instead of once per write: the
 *   share lock keeps the shard row as it was until the transaction ends, and a range that did not
 *   match once never matches again (ranges only grow), so a second check cannot answer otherwise.
 * - A write may carry `done`: ids of finished tasks of its shard, deleted whenever the fence
 *   holds (before and regardless of the write's own condition), so the task processor's
 *   deletions ride in the shard's next commit instead of a write of their own.
 *
 * Frozen in time like every migration: change the function in a new migration.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
create or replace function chasm_write(writes jsonb) returns jsonb
language plpgsql as $fn$
declare
  w jsonb;
  results jsonb := '[]'::jsonb;
  fenced boolean;
  ok boolean;
  n bigint;
  fences jsonb := '{}'::jsonb;
  fkey text;
begin
  for w in select value from jsonb_array_elements(writes) loop
    -- Checked once per (shard, range) and call: the share lock holds the row until the
    -- transaction ends, and a range once passed never matches again, so the answer cannot change.
    fkey := (w->>'s') || ':' || (w->>'r');
    if fences ? fkey then
      fenced := (fences->>fkey)::boolean;
    else
      perform 1 from shards where shard_id = (w->>'s')::int and range_id = (w->>'r')::bigint for share;
      fenced := found;
      fences := fences || jsonb_build_object(fkey, fenced);
    end if;
    ok := false;
    if fenced then
      -- Finished tasks riding along with a commit (ADR 0039): deleted whenever the fence holds,
      -- whatever the write's own condition says.
      if w ? 'done' then
        delete from chasm_tasks
        where shard_id = (w->>'s')::int and task_id = any(array(select jsonb_array_elements_text(w->'done')));
      end if;
      case w->>'k'
      when 'commit' then
        update executions set
          status = w->>'status',
          transition_count = (w->>'tc')::bigint,
          db_version = (w->>'expect')::bigint + 1,
          close_time = (w->>'close')::timestamptz,
          request_ids = w->'rids'
        where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch'
          and run_id = w->>'run' and db_version = (w->>'expect')::bigint;
        ok := found;
      when 'create' then
        if w->>'cur' = 'create' then
          insert into current_executions (namespace_id, business_id, archetype, run_id, status, start_request_id)
          values (w->>'ns', w->>'bid', w->>'arch', w->>'run', w->>'status', w->>'req')
          on conflict (namespace_id, business_id, archetype) do nothing;
        else
          update current_executions set run_id = w->>'run', status = w->>'status', start_request_id = w->>'req'
          where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch'
            and run_id = w->>'prev';
        end if;
        get diagnostics n = row_count;
        ok := n > 0;
        if ok then
          insert into executions (namespace_id, business_id, archetype, run_id, shard_id, status, transition_count,
            db_version, start_time, close_time, start_request_id, request_ids)
          values (w->>'ns', w->>'bid', w->>'arch', w->>'run', (w->>'shard')::int, w->>'status', (w->>'tc')::bigint,
            (w->>'dbv')::bigint, (w->>'start')::timestamptz, (w->>'close')::timestamptz, w->>'req', w->'rids');
        end if;
      when 'delete' then
        delete from executions where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch' and run_id = w->>'run';
        delete from chasm_nodes where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch' and run_id = w->>'run';
        delete from chasm_tasks where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch' and run_id = w->>'run';
        delete from visibility where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch' and run_id = w->>'run';
        delete from current_executions where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch' and run_id = w->>'run';
        ok := true;
      else
        -- 'tasks' (delete finished tasks) and 'visibility' have no condition of their own.
        ok := true;
      end case;

      if ok and jsonb_array_length(coalesce(w->'nodes', '[]'::jsonb)) > 0 then
        insert into chasm_nodes (namespace_id, business_id, archetype, run_id, path, kind, type_name,
          initial_tc, last_update_tc, data)
        select w->>'ns', w->>'bid', w->>'arch', w->>'run', x.path, x.kind, x.type_name, x.initial_tc,
          x.last_update_tc, decode(x.data, 'base64')
        from jsonb_to_recordset(w->'nodes') as x(path text, kind text, type_name text, initial_tc bigint,
          last_update_tc bigint, data text)
        on conflict (namespace_id, business_id, archetype, run_id, path) do update set
          kind = excluded.kind, type_name = excluded.type_name, initial_tc = excluded.initial_tc,
          last_update_tc = excluded.last_update_tc, data = excluded.data;
      end if;
      if ok and jsonb_array_length(coalesce(w->'delPaths', '[]'::jsonb)) > 0 then
        delete from chasm_nodes
        where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch' and run_id = w->>'run'
          and path = any(array(select jsonb_array_elements_text(w->'delPaths')));
      end if;
      if ok and jsonb_array_length(coalesce(w->'tasks', '[]'::jsonb)) > 0 then
        insert into chasm_tasks (shard_id, task_id, namespace_id, business_id, archetype, run_id, kind,
          type_name, path, component_initial_tc, created_tc, fire_at, payload)
        select x.shard_id, x.task_id, x.namespace_id, x.business_id, x.archetype, x.run_id, x.kind, x.type_name,
          x.path, x.component_initial_tc, x.created_tc, x.fire_at, decode(x.payload, 'base64')
        from jsonb_to_recordset(w->'tasks') as x(shard_id int, task_id text, namespace_id text, business_id text,
          archetype text, run_id text, kind text, type_name text, path text, component_initial_tc bigint,
          created_tc bigint, fire_at timestamptz, payload text);
      end if;
      if ok and jsonb_array_length(coalesce(w->'delTasks', '[]'::jsonb)) > 0 then
        delete from chasm_tasks
        where shard_id = (w->>'s')::int and task_id = any(array(select jsonb_array_elements_text(w->'delTasks')));
      end if;
      if ok and w->>'curStatus' is not null then
        update current_executions set status = w->>'curStatus'
        where namespace_id = w->>'ns' and business_id = w->>'bid' and archetype = w->>'arch' and run_id = w->>'run';
      end if;
      if ok and jsonb_array_length(coalesce(w->'vis', '[]'::jsonb)) > 0 then
        -- Older records never overwrite newer ones; an equal count rewrites (idempotent retries).
        insert into visibility (namespace_id, archetype, business_id, run_id, status, start_time, close_time,
          search_attributes, memo, transition_count)
        select x.namespace_id, x.archetype, x.business_id, x.run_id, x.status, x.start_time, x.close_time,
          coalesce(x.search_attributes, '{}'::jsonb), decode(x.memo, 'base64'), x.transition_count
        from jsonb_to_recordset(w->'vis') as x(namespace_id text, archetype text, business_id text, run_id text,
          status text, start_time timestamptz, close_time timestamptz, search_attributes jsonb, memo text,
          transition_count bigint)
        on conflict (namespace_id, archetype, business_id, run_id) do update set
          status = excluded.status, start_time = excluded.start_time, close_time = excluded.close_time,
          search_attributes = excluded.search_attributes, memo = excluded.memo,
          transition_count = excluded.transition_count
        where visibility.transition_count <= excluded.transition_count;
      end if;
    end if;
    results := results || jsonb_build_array(jsonb_build_object('f', fenced, 'ok', ok));
  end loop;
  return results;
end
$fn$`.execute(db);
}
