package forward

import (
	"fmt"
	"strings"
	"time"
)

var helsinki = func() *time.Location {
	l, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		return time.UTC
	}
	return l
}()

// LocalDate writes an ISO date (2026-12-07) as people in Finland do
// (7.12.2026), in Finnish and Swedish alike; anything else as it is.
func LocalDate(iso string) string {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return iso
	}
	return t.Format("2.1.2006")
}

// mailText is the provider's e-mail: Finnish first, then Swedish and
// English. It names the order, never the client: the client's details are
// behind the link, where each view is logged.
func mailText(event string, o order, link string, exp time.Time) (subject, body string) {
	units := strings.TrimSpace(o.Units + " " + o.Unit)
	until := exp.In(helsinki)
	var b strings.Builder
	switch event {
	case "cancelled":
		subject = fmt.Sprintf("Tilaus %s on peruttu / Beställning %s är annullerad / Order %s is cancelled", o.OrderRef, o.OrderRef, o.OrderRef)
		fmt.Fprintf(&b, "Tilaaja on perunut tilauksen %s. Palvelua ei tarvitse tuottaa.\n", o.OrderRef)
		fmt.Fprintf(&b, "Beställaren har annullerat beställning %s. Tjänsten behöver inte utföras.\n", o.OrderRef)
		fmt.Fprintf(&b, "The orderer has cancelled order %s. The service is not needed.\n\n", o.OrderRef)
		fmt.Fprintf(&b, "Tilausnumero / Beställningsnummer / Order number: %s\n", o.OrderRef)
		fmt.Fprintf(&b, "Palvelu / Tjänst / Service: %s\n", o.Service)
		fmt.Fprintf(&b, "Kunta / Kommun / Municipality: %s\n", o.Municipality)
		return subject, b.String()
	case "reminder":
		subject = fmt.Sprintf("Muistutus: tilaus %s odottaa vastaustanne / Påminnelse: beställning %s / Reminder: order %s", o.OrderRef, o.OrderRef, o.OrderRef)
		fmt.Fprintf(&b, "Tilaus %s odottaa yhä vastaustanne. Hyväksykää tai hylätkää se linkistä alla.\n", o.OrderRef)
		fmt.Fprintf(&b, "Beställning %s väntar fortfarande på ert svar.\n", o.OrderRef)
		fmt.Fprintf(&b, "Order %s is still waiting for your answer.\n\n", o.OrderRef)
	default:
		subject = fmt.Sprintf("Uusi palvelutilaus %s / Ny servicebeställning / New service order", o.OrderRef)
		fmt.Fprintf(&b, "Teille on välitetty uusi palvelutilaus.\nEr har förmedlats en ny servicebeställning.\nA new service order has been forwarded to you.\n\n")
	}
	fmt.Fprintf(&b, "Tilausnumero / Beställningsnummer / Order number: %s\n", o.OrderRef)
	fmt.Fprintf(&b, "Palvelu / Tjänst / Service: %s\n", o.Service)
	fmt.Fprintf(&b, "Kunta / Kommun / Municipality: %s\n", o.Municipality)
	fmt.Fprintf(&b, "Määrä / Mängd / Units: %s\n", units)
	fmt.Fprintf(&b, "Alkaa / Börjar / Starts: %s\n\n", LocalDate(o.StartDate))
	fmt.Fprintf(&b, "Avaa tilaus, katso asiakkaan yhteystiedot ja vastatkaa:\nÖppna beställningen och svara:\nOpen the order and answer:\n\n%s\n\n", link)
	fmt.Fprintf(&b, "Linkki on voimassa %s asti. / Länken gäller till %s. / The link works until %s.\n",
		until.Format("2.1.2006 klo 15.04"), until.Format("2.1.2006 kl. 15.04"), until.Format("2 Jan 2006 15:04"))
	fmt.Fprintf(&b, "Älkää välittäkö tätä viestiä eteenpäin: linkki avaa asiakkaan tiedot.\n")
	return subject, b.String()
}
