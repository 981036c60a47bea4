export default function Home() {
  return (
    <main>
      <h1>Portcullis example</h1>
      <p>Projects: <a href="/projects/p1">p1</a>, <a href="/projects/p2">p2</a>, <a href="/projects/p3">p3</a></p>
    </main>
  );
}
