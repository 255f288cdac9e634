// "Use my current location": an officer standing at the place fills its point in with one tap
// instead of looking the numbers up. Progressive: the button stays hidden where the browser
// cannot share a position, and typing the numbers always works.

const DECIMALS = 5; // about a metre: finer than a phone's fix, coarser would move the point

function message(holder, name, values = {}) {
  const template = holder.querySelector(`template[data-message="${name}"]`);
  let text = template ? template.content.textContent.trim() : "";
  for (const [key, value] of Object.entries(values)) {
    text = text.replace(`{${key}}`, value);
  }
  return text;
}

function setUp(holder) {
  const latitude = document.getElementById("id_latitude");
  const longitude = document.getElementById("id_longitude");
  const button = holder.querySelector("[data-bb-locate-button]");
  const status = holder.querySelector("[data-bb-locate-status]");
  if (!latitude || !longitude || !button || !status) return;
  holder.hidden = false;

  button.addEventListener("click", () => {
    button.disabled = true;
    status.textContent = message(holder, "finding");
    navigator.geolocation.getCurrentPosition(
      (position) => {
        latitude.value = position.coords.latitude.toFixed(DECIMALS);
        longitude.value = position.coords.longitude.toFixed(DECIMALS);
        // Other scripts (the activity draft) keep what is typed: tell them the fields changed.
        for (const field of [latitude, longitude]) {
          field.dispatchEvent(new Event("input", { bubbles: true }));
        }
        status.textContent = message(holder, "found", { metres: Math.round(position.coords.accuracy) });
        button.disabled = false;
      },
      (error) => {
        status.textContent = message(holder, error.code === error.PERMISSION_DENIED ? "denied" : "failed");
        button.disabled = false;
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 },
    );
  });
}

if ("geolocation" in navigator && window.isSecureContext) {
  document.querySelectorAll("[data-bb-locate]").forEach(setUp);
}
