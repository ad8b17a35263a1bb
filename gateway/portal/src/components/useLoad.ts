// useLoad reads the record a page shows, again whenever what names it (the route's id) changes, keeping
// the error for ErrorAlert. A step's answer is the record as it now stands: assign it to `data`.
import { ref, shallowRef, watch, type WatchSource } from 'vue'

export function useLoad<T>(fetch: () => Promise<T>, key: WatchSource) {
  const data = shallowRef<T | null>(null)
  const error = ref<unknown>(null)
  const loading = ref(false)
  let seq = 0

  async function load() {
    const mine = ++seq
    loading.value = true
    error.value = null
    try {
      const d = await fetch()
      if (mine === seq) data.value = d
    } catch (e) {
      if (mine === seq) error.value = e
    } finally {
      if (mine === seq) loading.value = false
    }
  }
  watch(key, load, { immediate: true })

  return { data, error, loading, load }
}
