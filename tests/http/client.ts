// A small typed client: pages through a county's units, reads a settlement and approves one, with
// the types GraphQL Code Generator makes from the schema (generated/graphql.ts).
import type {
  ApproveMutation, ApproveMutationVariables, RunStatus, SettlementReadQuery, SettlementReadQueryVariables,
  UnitsPageQuery, UnitsPageQueryVariables,
} from "./generated/graphql";

type Answer<T> = { data?: T; errors?: { message: string; extensions: { code: string } }[] };

export async function request<T, V>(url: string, token: string, query: string, variables: V): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const answer = (await response.json()) as Answer<T>;
  if (answer.errors?.length) throw new Error(`${answer.errors[0].extensions.code}: ${answer.errors[0].message}`);
  if (answer.data === undefined) throw new Error("no data");
  return answer.data;
}

const UNITS = `query UnitsPage($county: String!, $first: Int, $after: String) {
  units(county: $county, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } nodes { code nameZh community { code } } } }`;

type Units = NonNullable<UnitsPageQuery["units"]>["nodes"];

/** Every unit of a county, a page at a time. */
export async function allUnits(url: string, token: string, county: string): Promise<Units> {
  const units: Units = [];
  let after: string | null = null;
  for (;;) {
    const variables: UnitsPageQueryVariables = { county, first: 100, after };
    const page: UnitsPageQuery = await request<UnitsPageQuery, UnitsPageQueryVariables>(url, token, UNITS, variables);
    if (!page.units) throw new Error(`no units of ${county}`);  // a root list is null beside its error
    units.push(...page.units.nodes);
    if (!page.units.pageInfo.hasNextPage) return units;
    after = page.units.pageInfo.endCursor ?? null;
  }
}

const SETTLEMENT = `query SettlementRead($id: ID!) { settlement(id: $id) { id policy component period status
  totalsByEntity(first: 1000) { nodes { key amount } } lines(first: 100) { nodes { entity code unit value amount } } } }`;

/** A settlement's money by entity, in fen (never a float: money is a decimal string). */
export async function paidByEntity(url: string, token: string, id: string): Promise<Map<string, bigint>> {
  const data = await request<SettlementReadQuery, SettlementReadQueryVariables>(url, token, SETTLEMENT, { id });
  if (data.settlement === null || data.settlement === undefined) throw new Error(`NOT_FOUND: no settlement ${id}`);
  const out = new Map<string, bigint>();
  for (const total of data.settlement.totalsByEntity.nodes) {
    const [yuan, fen = ""] = total.amount.replace("-", "").split(".");
    const value = BigInt(yuan) * 100n + BigInt((fen + "00").slice(0, 2));
    out.set(total.key, total.amount.startsWith("-") ? -value : value);
  }
  return out;
}

const APPROVE = `mutation Approve($id: ID!) { approveSettlement(input: {id: $id}) {
  run { id status stage nextActions } county { code } } }`;

/** Approve a run at the token's level; the answer's run and county refresh a client cache. */
export async function approve(url: string, token: string, id: string): Promise<RunStatus> {
  const data = await request<ApproveMutation, ApproveMutationVariables>(url, token, APPROVE, { id });
  const status: RunStatus = data.approveSettlement.run.status;
  if (status !== "APPROVED" && status !== "ACCEPTED") throw new Error(`run ${id} is ${status}`);
  return status;
}
