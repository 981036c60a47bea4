export default async function Denied({ searchParams }: { searchParams: Promise<{ action?: string }> }) {
  const { action } = await searchParams;
  return <main><h1>Access denied</h1><p id="denied-action">{action ?? ""}</p></main>;
}
