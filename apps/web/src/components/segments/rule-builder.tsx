"use client";

import { RFM_SEGMENTS } from "@valuelens/clv-core";
import { OP_LABELS, OPS_BY_TYPE, RULE_FIELD_NAMES, RULE_FIELDS, RULE_LIMITS, ATTRIBUTE_TYPES, type RuleIssue, type TAttributeType, type TRuleOp } from "@valuelens/validators";
import { draftType, isPercentField, issuesAt, newCondition, newGroup, type DraftCondition, type DraftGroup } from "~/lib/rule-draft";

export interface RuleFieldChoices {
  channels: string[];
  campaigns: { id: string; name: string }[];
  attributes: { key: string; types: string[] }[];
}

const input = "rounded-md border border-slate-400 bg-white px-2 py-1.5 text-sm text-slate-900";
const ENUM_VALUES: Partial<Record<string, readonly string[]>> = {
  valueTier: RULE_FIELDS.valueTier.values,
  churnRisk: RULE_FIELDS.churnRisk.values,
  rfmSegment: RFM_SEGMENTS,
};
const ATTR_LABEL: Record<TAttributeType, string> = { text: "text", number: "number", date: "date", boolean: "yes / no" };

/** "root.conditions[1].conditions[0]" → "condition 1 in group 2" (for screen-reader labels). */
export function humanPath(path: string): string {
  const idx = [...path.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]) + 1);
  const last = idx.pop();
  return idx.length ? `condition ${last} in group ${idx.join(".")}` : `condition ${last}`;
}

const groupNumber = (path: string) => [...path.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]) + 1).join(".");

function guessType(types: string[] | undefined): TAttributeType {
  if (!types || types.length === 0) return "text";
  if (types.includes("boolean")) return "boolean";
  if (types.includes("number")) return "number";
  return "text";
}

function ValueEditor({ c, path, currency, choices, onChange }: { c: DraftCondition; path: string; currency: string; choices: RuleFieldChoices; onChange: (c: DraftCondition) => void }) {
  const t = draftType(c);
  const id = `v-${c.key}`;
  if (c.op === "isSet" || c.op === "isNotSet") return null;
  const label = (suffix: string) => <label htmlFor={id + suffix} className="sr-only">{`Value${suffix ? " " + suffix : ""} for ${humanPath(path)}`}</label>;
  if (c.op === "withinDays" || c.op === "beforeDays") {
    return (
      <span className="inline-flex items-center gap-1">
        {label("")}
        <input id={id} type="number" min={0} max={RULE_LIMITS.maxDays} inputMode="numeric" className={`${input} w-24`} value={c.value} onChange={(e) => onChange({ ...c, value: e.target.value })} />
        <span className="text-sm text-slate-700">days</span>
      </span>
    );
  }
  const enumValues = t === "id" ? choices.campaigns.map((k) => ({ v: k.id, l: k.name })) : t === "enum" ? (ENUM_VALUES[c.field] ?? []).map((v) => ({ v, l: v })) : null;
  if (enumValues && (c.op === "in" || c.op === "notIn")) {
    return (
      <span className="inline-flex flex-col">
        {label("")}
        <select id={id} multiple size={Math.min(5, Math.max(2, enumValues.length))} className={`${input} min-w-44`} value={c.values} onChange={(e) => onChange({ ...c, values: [...e.target.selectedOptions].map((o) => o.value) })}>
          {enumValues.map((o) => <option key={o.v} value={o.v}>{o.l}</option>)}
        </select>
        <span className="text-xs text-slate-600">Ctrl/⌘-click to choose several</span>
      </span>
    );
  }
  if (enumValues) {
    return (
      <>
        {label("")}
        <select id={id} className={input} value={c.value} onChange={(e) => onChange({ ...c, value: e.target.value })}>
          <option value="">Choose…</option>
          {enumValues.map((o) => <option key={o.v} value={o.v}>{o.l}</option>)}
        </select>
      </>
    );
  }
  if (t === "boolean") {
    return (
      <>
        {label("")}
        <select id={id} className={input} value={c.value} onChange={(e) => onChange({ ...c, value: e.target.value })}>
          <option value="">Choose…</option>
          <option value="true">yes (true)</option>
          <option value="false">no (false)</option>
        </select>
      </>
    );
  }
  const textual = c.op === "contains" || c.op === "startsWith" || t === "text";
  const type = !textual && t === "date" ? "date" : "text";
  const unit = t === "money" ? currency : isPercentField(c) ? "%" : "";
  const list = c.field === "channel" ? `dl-channels` : undefined;
  const placeholder = c.op === "in" || c.op === "notIn" ? "a, b, c" : t === "money" ? "0.00" : "";
  const one = (suffix: "" | "to", value: string, set: (v: string) => void) => (
    <>
      {label(suffix)}
      <input id={id + suffix} type={type} list={list} inputMode={t === "money" || t === "number" || t === "integer" ? "decimal" : undefined} placeholder={placeholder} className={`${input} ${type === "date" ? "w-40" : "w-36"}`} value={value} onChange={(e) => set(e.target.value)} />
    </>
  );
  return (
    <span className="inline-flex flex-wrap items-center gap-1">
      {one("", c.value, (v) => onChange({ ...c, value: v }))}
      {c.op === "between" ? <span className="text-sm text-slate-700">and</span> : null}
      {c.op === "between" ? one("to", c.value2, (v) => onChange({ ...c, value2: v })) : null}
      {unit ? <span className="text-sm text-slate-700">{unit}</span> : null}
    </span>
  );
}

function ConditionRow({ c, path, currency, choices, issues, onChange, onRemove, canRemove, readOnly }: {
  c: DraftCondition; path: string; currency: string; choices: RuleFieldChoices; issues: RuleIssue[];
  onChange: (c: DraftCondition) => void; onRemove: () => void; canRemove: boolean; readOnly: boolean;
}) {
  const t = draftType(c);
  const mine = issuesAt(issues, path);
  const errId = `err-${c.key}`;
  const setField = (field: DraftCondition["field"]) => {
    const next: DraftCondition = { ...newCondition(field), key: c.key, attrKey: c.attrKey, attrType: c.attrType };
    onChange(next);
  };
  const setOp = (op: TRuleOp) => onChange({ ...c, op, value: op === "withinDays" || op === "beforeDays" ? (c.op === op ? c.value : "90") : c.value, values: c.values });
  return (
    <li className="rounded-md border border-slate-200 bg-white p-2" data-testid="rule-condition">
      <fieldset disabled={readOnly} aria-describedby={mine.length ? errId : undefined}>
        <legend className="sr-only">{humanPath(path).replace(/^c/, "C")}</legend>
        <div className="flex flex-wrap items-center gap-2">
          <label htmlFor={`f-${c.key}`} className="sr-only">Field</label>
          <select id={`f-${c.key}`} className={input} value={c.field} onChange={(e) => setField(e.target.value as DraftCondition["field"])}>
            <optgroup label="Scores">
              {RULE_FIELD_NAMES.filter((f) => RULE_FIELDS[f].source === "scores").map((f) => <option key={f} value={f}>{RULE_FIELDS[f].label}{f === "pAlive" ? " (%)" : ""}</option>)}
            </optgroup>
            <optgroup label="Customer">
              {RULE_FIELD_NAMES.filter((f) => RULE_FIELDS[f].source === "customer").map((f) => <option key={f} value={f}>{RULE_FIELDS[f].label}</option>)}
              <option value="attribute">Attribute…</option>
            </optgroup>
          </select>
          {c.field === "attribute" ? (
            <>
              <label htmlFor={`ak-${c.key}`} className="sr-only">Attribute name</label>
              <input
                id={`ak-${c.key}`}
                list="dl-attributes"
                placeholder="attribute name"
                className={`${input} w-40`}
                value={c.attrKey}
                onChange={(e) => {
                  const known = choices.attributes.find((a) => a.key === e.target.value);
                  onChange({ ...c, attrKey: e.target.value, attrType: known ? guessType(known.types) : c.attrType });
                }}
              />
              <label htmlFor={`at-${c.key}`} className="sr-only">Attribute type</label>
              <select id={`at-${c.key}`} className={input} value={c.attrType} onChange={(e) => {
                const attrType = e.target.value as TAttributeType;
                const ops = OPS_BY_TYPE[attrType];
                onChange({ ...c, attrType, op: ops.includes(c.op) ? c.op : ops[0]!, value: "", value2: "" });
              }}>
                {ATTRIBUTE_TYPES.map((x) => <option key={x} value={x}>{ATTR_LABEL[x]}</option>)}
              </select>
            </>
          ) : null}
          <label htmlFor={`o-${c.key}`} className="sr-only">Operator</label>
          <select id={`o-${c.key}`} className={input} value={c.op} onChange={(e) => setOp(e.target.value as TRuleOp)}>
            {OPS_BY_TYPE[t].map((o) => <option key={o} value={o}>{OP_LABELS[o]}</option>)}
          </select>
          <ValueEditor c={c} path={path} currency={currency} choices={choices} onChange={onChange} />
          {canRemove && !readOnly ? (
            <button type="button" onClick={onRemove} className="ml-auto rounded px-2 py-1 text-sm text-red-800 hover:bg-red-50">
              Remove<span className="sr-only"> {humanPath(path)}</span>
            </button>
          ) : null}
        </div>
        {mine.length ? (
          <p id={errId} className="mt-1 text-sm text-red-800" role="alert">
            {mine.map((i) => i.message).join("; ")}
          </p>
        ) : null}
      </fieldset>
    </li>
  );
}

function GroupBox({ g, path, depth, currency, choices, issues, onChange, onRemove, readOnly }: {
  g: DraftGroup; path: string; depth: number; currency: string; choices: RuleFieldChoices; issues: RuleIssue[];
  onChange: (g: DraftGroup) => void; onRemove?: () => void; readOnly: boolean;
}) {
  const setItem = (i: number, x: DraftGroup["items"][number]) => onChange({ ...g, items: g.items.map((y, j) => (j === i ? x : y)) });
  const remove = (i: number) => onChange({ ...g, items: g.items.filter((_, j) => j !== i) });
  const own = issues.filter((i) => i.path === path || i.path === `${path}.conditions` || i.path === `${path}.op`);
  return (
    <fieldset className={`rounded-lg border p-3 ${depth === 1 ? "border-slate-300 bg-slate-50" : "border-brand-100 bg-brand-50/60"}`} data-testid={depth === 1 ? "rule-root" : "rule-group"}>
      <legend className="px-1 text-sm font-medium text-slate-900">{depth === 1 ? "Customers who match" : `Group ${groupNumber(path)}`}</legend>
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <label htmlFor={`g-${g.key}`} className="text-sm text-slate-800">Match</label>
        <select id={`g-${g.key}`} className={input} value={g.op} disabled={readOnly} onChange={(e) => onChange({ ...g, op: e.target.value as "and" | "or" })}>
          <option value="and">all of (AND)</option>
          <option value="or">any of (OR)</option>
        </select>
        <span className="text-sm text-slate-700">these conditions</span>
        {onRemove && !readOnly ? (
          <button type="button" onClick={onRemove} className="ml-auto rounded px-2 py-1 text-sm text-red-800 hover:bg-red-50">Remove group<span className="sr-only"> {groupNumber(path)}</span></button>
        ) : null}
      </div>
      <ul className="space-y-2">
        {g.items.map((x, i) => {
          const p = `${path}.conditions[${i}]`;
          return x.kind === "group" ? (
            <li key={x.key}>
              <GroupBox g={x} path={p} depth={depth + 1} currency={currency} choices={choices} issues={issues} onChange={(y) => setItem(i, y)} onRemove={() => remove(i)} readOnly={readOnly} />
            </li>
          ) : (
            <ConditionRow key={x.key} c={x} path={p} currency={currency} choices={choices} issues={issues} onChange={(y) => setItem(i, y)} onRemove={() => remove(i)} canRemove={g.items.length > 1 || depth > 1} readOnly={readOnly} />
          );
        })}
      </ul>
      {own.length ? <p className="mt-1 text-sm text-red-800" role="alert">{own.map((i) => i.message).join("; ")}</p> : null}
      {!readOnly ? (
        <div className="mt-2 flex gap-2">
          <button type="button" onClick={() => onChange({ ...g, items: [...g.items, newCondition()] })} className="rounded-md border border-brand-700 px-2.5 py-1 text-sm font-medium text-brand-800 hover:bg-brand-50">
            + Condition
          </button>
          {depth < RULE_LIMITS.maxDepth ? (
            <button type="button" onClick={() => onChange({ ...g, items: [...g.items, newGroup(g.op === "and" ? "or" : "and")] })} className="rounded-md border border-slate-400 px-2.5 py-1 text-sm font-medium text-slate-800 hover:bg-slate-100">
              + Group
            </button>
          ) : null}
        </div>
      ) : null}
    </fieldset>
  );
}

/** The AND / OR rule builder; errors appear next to the condition they concern. */
export function RuleBuilder({ root, onChange, currency, choices, issues, readOnly = false }: {
  root: DraftGroup; onChange: (g: DraftGroup) => void; currency: string; choices: RuleFieldChoices; issues: RuleIssue[]; readOnly?: boolean;
}) {
  return (
    <div>
      <datalist id="dl-channels">{choices.channels.map((c) => <option key={c} value={c} />)}</datalist>
      <datalist id="dl-attributes">{choices.attributes.map((a) => <option key={a.key} value={a.key} />)}</datalist>
      <GroupBox g={root} path="root" depth={1} currency={currency} choices={choices} issues={issues} onChange={onChange} readOnly={readOnly} />
      {issues.some((i) => !i.path.startsWith("root")) ? <p className="mt-1 text-sm text-red-800">{issues.filter((i) => !i.path.startsWith("root")).map((i) => `${i.path}: ${i.message}`).join("; ")}</p> : null}
    </div>
  );
}
