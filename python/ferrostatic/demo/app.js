// Fetch each file of this page again and show the response headers ferrostatic sent.
const files = ["index.html", "style.css", "app.js", "logo.svg"];
const rows = document.querySelector("#responses tbody");

for (const file of files) {
  fetch(file, { cache: "no-store" }).then((response) => {
    const row = rows.insertRow();
    row.insertCell().textContent = file;
    row.insertCell().textContent = response.status;
    const pre = document.createElement("pre");
    pre.textContent = [...response.headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    row.insertCell().appendChild(pre);
  });
}
