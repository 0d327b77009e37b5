package telegramtest_test

import (
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shakwa/shakwa/bot/telegram/telegramtest"
)

const token = "42:test-token"

// post calls method with JSON params and returns the status and body.
func post(t *testing.T, url, method, params string) (int, string) {
	t.Helper()
	resp, err := http.Post(url+"/bot"+token+"/"+method, "application/json", strings.NewReader(params))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestServer(t *testing.T) {
	api := telegramtest.NewServer(t, token)
	markup := `{"inline_keyboard":[[{"text":"استلام","callback_data":"claim:KRM-000001"}]]}`
	status, body := post(t, api.URL(), "sendMessage", `{"chat_id":-1001,"text":"طلب جديد","reply_markup":`+markup+`}`)
	if status != 200 || !strings.Contains(body, `"message_id":100`) || !strings.Contains(body, `"type":"supergroup"`) {
		t.Errorf("sendMessage: got %d %s; want 200 and message 100 in a supergroup", status, body)
	}
	mark := api.Mark()
	api.Answer("sendMessage", 429, telegramtest.AnswerTooManyRequests)
	if status, _ := post(t, api.URL(), "sendMessage", `{"chat_id":5,"text":"x"}`); status != 429 {
		t.Errorf("scripted answer: got %d; want 429", status)
	}
	if status, _ := post(t, api.URL(), "sendMessage", `{"chat_id":5,"text":"y"}`); status != 200 {
		t.Errorf("after the script: got %d; want 200", status)
	}

	card := api.Wait(t, telegramtest.Match{Method: "sendMessage", Data: "claim:KRM-000001"}, time.Second)
	if card.ChatID() != "-1001" || card.Text() != "طلب جديد" || card.MessageID != 100 || card.Seq != 1 {
		t.Errorf("card: got %+v", card)
	}
	want := [][]telegramtest.Button{{{Text: "استلام", CallbackData: "claim:KRM-000001"}}}
	if got := card.Buttons(); !reflect.DeepEqual(got, want) {
		t.Errorf("Buttons: got %+v; want %+v", got, want)
	}
	if got := api.Find(telegramtest.Match{ChatID: "5", After: mark}); len(got) != 2 || got[0].MessageID != 0 || got[1].MessageID != 101 {
		t.Errorf("calls after the mark: got %v; want the refused one (no id) and message 101", got)
	}

	if status, _ := post(t, api.URL(), "getMe", `{}`); status != 200 {
		t.Errorf("getMe: got %d; want 200", status)
	}
	if got := len(api.Calls()); got != 3 {
		t.Errorf("Calls: got %d; want 3 (getMe left out)", got)
	}
	if status, _ := post(t, api.URL()+"/x", "getMe", `{}`); status != 401 {
		t.Errorf("wrong token: got %d; want 401", status)
	}
}

func TestServerUpdates(t *testing.T) {
	api := telegramtest.NewServer(t, token)
	api.Push(`{"update_id":7,"message":{"message_id":1,"chat":{"id":5,"type":"private"},"date":1,"text":"a"}}`,
		`{"update_id":8,"message":{"message_id":2,"chat":{"id":5,"type":"private"},"date":1,"text":"b"}}`)
	_, body := post(t, api.URL(), "getUpdates", `{"offset":8,"timeout":0}`)
	if strings.Contains(body, `"update_id":7`) || !strings.Contains(body, `"update_id":8`) {
		t.Errorf("getUpdates offset 8: got %s; want update 8 only", body)
	}
	done := make(chan string)
	go func() {
		resp, err := http.Post(api.URL()+"/bot"+token+"/getUpdates", "application/json", strings.NewReader(`{"offset":9,"timeout":5}`))
		if err != nil {
			done <- err.Error()
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		done <- string(body)
	}()
	api.Wait(t, telegramtest.Match{Method: "getUpdates", Fields: map[string]string{"offset": "9"}}, time.Second)
	api.Push(`{"update_id":9,"callback_query":{"id":"c1","from":{"id":5,"is_bot":false,"first_name":"x"},"data":"d"}}`)
	select {
	case body := <-done:
		if !strings.Contains(body, `"update_id":9`) {
			t.Errorf("long poll: got %s; want update 9", body)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the long poll did not return the pushed update")
	}
}
